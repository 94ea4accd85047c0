#include "daemon_backend.hpp"

#include <unistd.h>

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
    if (envelope->seq != 0 && connection_) connection_->post(protocol::Ack{envelope->seq}.encode());
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
  if (delivery.seq != 0) connection_->post(protocol::Ack{delivery.seq}.encode());
}

}  // namespace ferry
