#include "daemon/download_task.hpp"

#include <array>
#include <utility>

namespace ferry::daemon {
namespace {
constexpr std::array<std::pair<TaskState, std::string_view>, 6> kNames{{
    {TaskState::suspended, "suspended"},
    {TaskState::running, "running"},
    {TaskState::finalizing, "finalizing"},
    {TaskState::completed, "completed"},
    {TaskState::failed, "failed"},
    {TaskState::cancelled, "cancelled"},
}};
}  // namespace

std::string_view stateName(TaskState s) {
  for (const auto& [state, name] : kNames)
    if (state == s) return name;
  return "unknown";
}

std::optional<TaskState> stateFromName(std::string_view name) {
  for (const auto& [state, n] : kNames)
    if (n == name) return state;
  return std::nullopt;
}

store::TaskRow DownloadTask::toRow() const {
  store::TaskRow row;
  row.id = id;
  row.session = session;
  row.kind = "download";
  row.state = std::string(stateName(state));
  row.request_json = protocol::requestToJson(request).dump();
  row.destination = destination;
  row.partial = partial;
  row.durable_offset = durable;
  row.expected_total = expected_total;
  row.etag = validators.etag;
  row.last_modified = validators.last_modified;
  row.suspend_count = suspend_count;
  row.created_at = created_at;
  row.resource_deadline = resource_deadline;
  if (error) {
    row.error_code = error->code;
    row.error_message = error->message;
  }
  row.http_status = http_status;
  row.result_path = result_path;
  row.description = description;
  return row;
}

protocol::TaskInfo DownloadTask::toInfo() const {
  protocol::TaskInfo info;
  info.id = id;
  info.session = session;
  info.state = std::string(stateName(state));
  info.waiting_for = waiting_for;
  info.url = request.url;
  info.destination = destination.empty() ? result_path : destination;
  info.description = description;
  info.bytes_written = std::max(written, durable);
  info.expected_total = expected_total;
  info.http_status = http_status;
  info.error = error;
  info.suspend_count = suspend_count;
  info.created_at = created_at;
  return info;
}

Result<DownloadTask> DownloadTask::fromRow(const store::TaskRow& row) {
  DownloadTask t;
  t.id = row.id;
  t.session = row.session;
  auto state = stateFromName(row.state);
  if (!state) return fail(errc::internal, "task " + std::to_string(row.id) + " has unknown state " + row.state);
  t.state = *state;
  auto json = nlohmann::json::parse(row.request_json, nullptr, false);
  auto request = protocol::requestFromJson(json);
  if (!request) return tl::unexpected(request.error());
  t.request = *request;
  t.destination = row.destination;
  t.partial = row.partial;
  t.durable = row.durable_offset;
  t.written = row.durable_offset;
  t.expected_total = row.expected_total;
  t.validators = {row.etag, row.last_modified};
  t.suspend_count = row.suspend_count;
  t.created_at = row.created_at;
  t.resource_deadline = row.resource_deadline;
  if (!row.error_code.empty()) t.error = Error(row.error_code, row.error_message);
  t.http_status = row.http_status;
  t.result_path = row.result_path;
  t.description = row.description;
  if (t.state == TaskState::suspended) t.waiting_for = "suspended";
  return t;
}

}  // namespace ferry::daemon
