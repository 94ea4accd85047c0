#include "daemon_backend.hpp"

#include <unistd.h>

#include "group_replies.hpp"

namespace ferry {

using protocol::Json;

Result<std::unique_ptr<DaemonBackend>> DaemonBackend::attach(const Configuration& configuration, Deliver deliver) {
  std::unique_ptr<DaemonBackend> backend(new DaemonBackend());
  backend->deliver_ = std::move(deliver);
  IpcConnection::Options options;
  options.socket = configuration.socketPath();
  options.start_daemon = configuration.startsDaemon();
  options.reconnect = true;
  options.hello = protocol::Hello{configuration.identifier(), configuration.sessionConfig(),
                                  "libferry pid " + std::to_string(::getpid())};
  options.on_event = [raw = backend.get()](const Json& m) { raw->onMessage(m); };
  auto connection = IpcConnection::open(std::move(options));
  if (!connection) return tl::unexpected(connection.error());
  backend->connection_ = std::move(*connection);
  return backend;
}

void DaemonBackend::onMessage(const Json& message) {
  const std::string type = message.value("type", "");
  if (type == protocol::type::events_drained) {
    Delivery d;
    d.kind = Delivery::Kind::events_drained;
    return deliver_(oneDelivery(std::move(d)));
  }
  if (type != protocol::type::event) return;
  auto envelope = protocol::EventEnvelope::decode(message);
  if (!envelope) return;  // not an event this libferry can read (nor acknowledge)
  auto event = protocol::decodeEvent(envelope->event, message);
  if (!event) {
    // Unknown or malformed: not delivered, but acknowledged, or it would come again forever.
    if (envelope->seq != 0 && connection_) connection_->post(protocol::Ack{envelope->seq, {}}.encode());
    return;
  }
  Delivery d;
  d.seq = envelope->seq;
  d.task = envelope->task;
  d.event = std::move(*event);
  deliver_(oneDelivery(std::move(d)));
}

Result<TaskInfo> DaemonBackend::taskReply(Result<Json> reply) {
  if (!reply) return tl::unexpected(reply.error());
  return protocol::taskInfoFromJson(reply->value("task", Json::object()));
}

Result<TaskInfo> DaemonBackend::createDownload(const protocol::CreateDownload& create) {
  return taskReply(connection_->request(create.encode()));
}

namespace {

// What one create_downloads message carries at most: ferryd reads lines of up to 1 MiB.
constexpr std::size_t kBatchEntries = 1000;
constexpr std::size_t kBatchBytes = 512 * 1024;

// The reply's "tasks": one {"id": N} or {"error": {...}} per entry sent, in order.
void readBatchReply(const Result<Json>& reply, std::size_t sent, std::vector<Result<std::uint64_t>>& out) {
  const Json* tasks = nullptr;
  if (reply) {
    auto it = reply->find("tasks");
    if (it != reply->end() && it->is_array() && it->size() == sent) tasks = &*it;
  }
  for (std::size_t i = 0; i < sent; ++i) {
    if (!reply) {
      out.push_back(tl::unexpected(reply.error()));
      continue;
    }
    const Json* entry = tasks ? &(*tasks)[i] : nullptr;
    if (entry && entry->is_object() && entry->contains("id") && (*entry)["id"].is_number_unsigned())
      out.push_back((*entry)["id"].get<std::uint64_t>());
    else if (entry && entry->is_object() && entry->contains("error"))
      out.push_back(tl::unexpected(protocol::errorFromJson((*entry)["error"])));
    else
      out.push_back(fail(errc::protocol, "ferryd's answer to create_downloads does not name this task"));
  }
}

// A generous estimate of an entry's encoded size (its strings and the field names around them).
std::size_t entryBytes(const protocol::CreateDownload& c) {
  std::size_t bytes = 256 + c.destination.size() + c.task.description.size();
  if (c.request) {
    bytes += c.request->url.size() * 2;  // escapes
    for (const auto& h : c.request->headers) bytes += h.name.size() + h.value.size() * 2 + 8;
  }
  return bytes;
}

}  // namespace

std::vector<Result<std::uint64_t>> DaemonBackend::createDownloads(const std::vector<protocol::CreateDownload>& creates) {
  std::vector<Result<std::uint64_t>> out;
  out.reserve(creates.size());
  std::size_t next = 0;
  while (next < creates.size()) {
    protocol::CreateDownloads batch;
    std::size_t bytes = 0;
    while (next < creates.size() && batch.tasks.size() < kBatchEntries && bytes < kBatchBytes) {
      bytes += entryBytes(creates[next]);
      batch.tasks.push_back(creates[next++]);
    }
    readBatchReply(connection_->request(batch.encode()), batch.tasks.size(), out);
  }
  return out;
}

Result<TaskInfo> DaemonBackend::createDataTask(const protocol::CreateDownload&) {
  return fail(errc::invalid_argument,
              "background sessions have no data tasks (as URLSession): use a download task and read its file, or a "
              "default session (Configuration::defaults) for answers in memory");
}

Result<TaskInfo> DaemonBackend::createUpload(const protocol::CreateUpload& create) {
  return taskReply(connection_->request(create.encode()));
}

Result<TaskInfo> DaemonBackend::command(protocol::TaskVerb verb, std::uint64_t id) {
  return taskReply(connection_->request(protocol::TaskCommand{verb, id}.encode()));
}

Result<std::string> DaemonBackend::cancelProducingResumeData(std::uint64_t id) {
  auto r = connection_->request(protocol::TaskCommand{protocol::TaskVerb::cancel_with_resume_data, id}.encode());
  if (!r) return tl::unexpected(r.error());
  return r->value("resume_data", std::string());
}

Result<std::vector<TaskInfo>> DaemonBackend::allTasks() {
  auto r = connection_->request(protocol::List{}.encode());
  if (!r) return tl::unexpected(r.error());
  return protocol::taskListFromJson(*r);
}

Result<GroupInfo> DaemonBackend::createGroup(const protocol::CreateGroup& create) {
  return groupOfReply(connection_->request(create.encode()), 0);
}

Result<GroupInfo> DaemonBackend::groupCommand(protocol::TaskVerb verb, std::uint64_t id) {
  return groupOfReply(connection_->request(protocol::TaskCommand{verb, id}.encode()), id);
}

Result<std::string> DaemonBackend::cancelGroupProducingResumeData(std::uint64_t id) {
  auto command = protocol::TaskCommand{protocol::TaskVerb::cancel_with_resume_data, id};
  return groupResumeDataOfReply(connection_->request(command.encode()), id);
}

Result<std::vector<GroupInfo>> DaemonBackend::allGroups() {
  auto r = connection_->request(protocol::List{}.encode());
  if (!r) return tl::unexpected(r.error());
  return protocol::groupListFromJson(*r);
}

Result<void> DaemonBackend::invalidate(bool cancel) {
  auto r = connection_->request(protocol::Invalidate{cancel}.encode());
  if (!r) return tl::unexpected(r.error());
  return {};
}

void DaemonBackend::decideRedirect(std::uint64_t id, bool follow) {
  // An error means ferryd decided meanwhile (timeout, or the task ended): nothing to do.
  (void)connection_->request(protocol::DecideRedirect{id, follow}.encode());
}

Result<void> DaemonBackend::bodyStreamOpened(std::uint64_t id) {
  auto r = connection_->request(protocol::BodyStreamOpened{id}.encode());
  if (!r) return tl::unexpected(r.error());
  return {};
}

void DaemonBackend::bodyStreamEnded(std::uint64_t id, std::uint64_t bytes) {
  (void)connection_->request(protocol::BodyStreamEnded{id, bytes}.encode());
}

void DaemonBackend::delivered(const Delivery& delivery) {
  if (delivery.seq == 0) return;
  unacknowledged_.push_back(delivery.seq);
  if (unacknowledged_.size() >= kMaxAckBatch) acknowledge();
}

void DaemonBackend::acknowledge() {
  if (unacknowledged_.empty()) return;
  protocol::Ack ack{unacknowledged_.front(), {}};
  ack.seqs.assign(unacknowledged_.begin() + 1, unacknowledged_.end());
  unacknowledged_.clear();
  connection_->post(ack.encode());
}

}  // namespace ferry
