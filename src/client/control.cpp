#include "ferry/control.hpp"

#include <unistd.h>

#include "group_replies.hpp"
#include "ipc_connection.hpp"
#include "protocol/daemon_status.hpp"
#include "protocol/requests.hpp"

namespace ferry {

using protocol::Json;

Result<std::unique_ptr<Control>> Control::connect(std::filesystem::path socket, bool start_daemon) {
  std::unique_ptr<Control> c(new Control());
  IpcConnection::Options options;
  options.socket = std::move(socket);
  options.start_daemon = start_daemon;
  options.hello.client = "ferry control pid " + std::to_string(::getpid());
  // A parsed line is valid UTF-8 (the parser refuses anything else), so `replace` never acts; it
  // only keeps a surprise from throwing on the connection's thread.
  options.on_event = [raw = c.get()](const Json& m) {
    if (raw->on_event_) raw->on_event_(m.dump(-1, ' ', false, Json::error_handler_t::replace));
  };
  auto connection = IpcConnection::open(std::move(options));
  if (!connection) return tl::unexpected(connection.error());
  c->connection_ = std::move(*connection);
  return c;
}

Control::~Control() = default;

Result<std::vector<TaskInfo>> Control::list(const std::optional<std::string>& session) {
  auto r = connection_->request(protocol::List{session}.encode());
  if (!r) return tl::unexpected(r.error());
  return protocol::taskListFromJson(*r);
}

Result<TaskInfo> Control::taskCommand(protocol::TaskVerb verb, std::uint64_t id) {
  auto r = connection_->request(protocol::TaskCommand{verb, id}.encode());
  if (!r) return tl::unexpected(r.error());
  return protocol::taskInfoFromJson(r->value("task", Json::object()));
}

Result<TaskInfo> Control::suspend(std::uint64_t task) { return taskCommand(protocol::TaskVerb::suspend, task); }
Result<TaskInfo> Control::resume(std::uint64_t task) { return taskCommand(protocol::TaskVerb::resume, task); }
Result<TaskInfo> Control::cancel(std::uint64_t task) { return taskCommand(protocol::TaskVerb::cancel, task); }

Result<std::string> Control::cancelByProducingResumeData(std::uint64_t task) {
  auto r = connection_->request(protocol::TaskCommand{protocol::TaskVerb::cancel_with_resume_data, task}.encode());
  if (!r) return tl::unexpected(r.error());
  return r->value("resume_data", std::string());
}

Result<Listing> Control::listing(const std::optional<std::string>& session) {
  auto r = connection_->request(protocol::List{session}.encode());
  if (!r) return tl::unexpected(r.error());
  auto tasks = protocol::taskListFromJson(*r);
  if (!tasks) return tl::unexpected(tasks.error());
  auto groups = protocol::groupListFromJson(*r);
  if (!groups) return tl::unexpected(groups.error());
  return Listing{std::move(*tasks), std::move(*groups)};
}

Result<Acted> Control::act(Action action, std::uint64_t id) {
  const auto verb = action == Action::suspend  ? protocol::TaskVerb::suspend
                    : action == Action::resume ? protocol::TaskVerb::resume
                                               : protocol::TaskVerb::cancel;
  auto r = connection_->request(protocol::TaskCommand{verb, id}.encode());
  if (!r) return tl::unexpected(r.error());
  Acted acted;
  if (r->contains("group")) {
    auto group = groupOfReply(r, id);
    if (!group) return tl::unexpected(group.error());
    acted.group = std::move(*group);
  } else {
    auto task = protocol::taskInfoFromJson(r->value("task", Json::object()));
    if (!task) return tl::unexpected(task.error());
    acted.task = std::move(*task);
  }
  return acted;
}

Result<DaemonStatus> Control::status() {
  auto r = connection_->request(protocol::Status{}.encode());
  if (!r) return tl::unexpected(r.error());
  return protocol::daemonStatusFromJson(*r);
}

Result<BandwidthStatus> Control::limits() {
  auto r = connection_->request(protocol::Limits{}.encode());
  if (!r) return tl::unexpected(r.error());
  return protocol::bandwidthStatusFromJson(*r);
}

Result<BandwidthStatus> Control::setLimit(const std::optional<std::string>& session, std::uint64_t bytes_per_second) {
  auto r = connection_->request(protocol::SetLimit{session, bytes_per_second}.encode());
  if (!r) return tl::unexpected(r.error());
  return protocol::bandwidthStatusFromJson(*r);
}

Result<void> Control::watch(std::function<void(const std::string&)> on_event, const std::optional<std::string>& session) {
  on_event_ = std::move(on_event);
  auto r = connection_->request(protocol::Watch{session}.encode());
  if (!r) return tl::unexpected(r.error());
  return {};
}

}  // namespace ferry
