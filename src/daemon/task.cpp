#include "daemon/task.hpp"

#include "engine/attempt_metrics.hpp"
#include "protocol/scheduling.hpp"

namespace ferry::daemon {

const TaskDetails Task::kNoDetails{};

std::int64_t unixSecondsNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Error cancelledError(const Task& t, bool resume_data_asked) {
  std::string message = t.isUpload() ? "the upload was cancelled" : "the download was cancelled";
  if (resume_data_asked) message += "; resume data was asked for";
  return Error(errc::cancelled, message);
}

store::TaskRow Task::toRow() const {
  store::TaskRow row;
  row.id = id;
  row.session = session;
  row.kind = upload ? "upload" : "download";
  if (upload) row.upload_json = store::encodeUpload(upload->stored());
  row.state = std::string(stateName(state()));
  row.request_json = store::encodeRequest({request, scheduling, std::nullopt});
  row.destination = destination;
  row.partial = partial();
  row.durable_offset = durable;
  row.expected_total = expected_total;
  const TaskDetails& d = details();
  row.segments = d.durable_segments;
  row.etag = d.validators.etag;
  row.last_modified = d.validators.last_modified;
  row.suspend_count = suspend_count;
  row.created_at = created_at;
  row.resource_deadline = resource_deadline;
  if (d.error) {
    row.error_code = d.error->code;
    row.error_message = d.error->message;
  }
  row.http_status = d.http_status;
  row.result_path = d.result_path;
  row.description = d.description;
  row.group_id = group;
  return row;
}

protocol::TaskInfo Task::toInfo() const {
  protocol::TaskInfo info;
  info.id = id;
  info.session = session;
  info.state = std::string(stateName(state()));
  info.waiting_for = waiting_for;
  info.url = request.url;
  const TaskDetails& d = details();
  info.destination = destination.empty() ? d.result_path : destination;
  info.description = d.description;
  info.kind = upload ? "upload" : "download";
  info.bytes_written = upload ? upload->sent : std::max(written, durable);
  if (upload) info.destination = upload->spooled ? std::string() : upload->body.string();  // the source, for lists
  info.expected_total = upload ? std::optional<std::uint64_t>(upload->identity.size) : expected_total;
  info.http_status = d.http_status;
  info.error = d.error;
  info.suspend_count = suspend_count;
  info.created_at = created_at;
  info.priority = scheduling.priority;
  info.discretionary = scheduling.discretionary;
  info.begin_at = protocol::beginAtSeconds(scheduling);
  info.allows_expensive_network_access = scheduling.allows_expensive_network;
  info.allows_constrained_network_access = scheduling.allows_constrained_network;
  info.requires_external_power = scheduling.requires_external_power;
  info.retries = d.retries;
  info.metrics = metricsCopy();
  info.group = group;
  return info;
}

void Task::addMetrics(const model::TaskMetrics& more) {
  auto& metrics = editDetails().metrics;
  if (!metrics) metrics = std::make_unique<model::TaskMetrics>();
  engine::appendAttempts(*metrics, more, engine::kMaxMetricsAttempts);
}

Result<Task> Task::fromRow(store::TaskRow&& row) {
  Task t;
  t.id = row.id;
  t.group = row.group_id;
  t.session = std::move(row.session);
  auto state = stateFromName(row.state);
  if (!state) return fail(errc::internal, "task " + std::to_string(row.id) + " has unknown state " + row.state);
  t.stored_state = *state;
  auto stored = store::decodeRequest(row.request_json);
  if (!stored) return tl::unexpected(stored.error());
  t.request = std::move(stored->request);
  t.scheduling = stored->scheduling;
  t.destination = std::move(row.destination);
  t.durable = row.durable_offset;
  t.written = row.durable_offset;
  if (!row.segments.empty()) t.editDetails().durable_segments = std::move(row.segments);
  t.expected_total = row.expected_total;
  if (!row.etag.empty() || !row.last_modified.empty())
    t.editDetails().validators = {std::move(row.etag), std::move(row.last_modified)};
  t.suspend_count = row.suspend_count;
  t.created_at = row.created_at;
  t.resource_deadline = row.resource_deadline;
  if (!row.error_code.empty()) t.editDetails().error = Error(row.error_code, std::move(row.error_message));
  if (row.http_status != 0) t.editDetails().http_status = row.http_status;
  if (!row.result_path.empty()) t.editDetails().result_path = std::move(row.result_path);
  if (!row.description.empty()) t.editDetails().description = std::move(row.description);
  if (row.kind == "upload") {
    auto spec = store::decodeUpload(row.upload_json);
    if (!spec) return tl::unexpected(spec.error());
    t.upload = std::make_unique<UploadSpec>(UploadSpec{*spec, {}, 0});
  } else if (row.kind != "download") {
    return fail(errc::internal, "task " + std::to_string(row.id) + " is of unknown kind " + row.kind);
  }
  if (t.stored_state == TaskState::suspended) t.waiting_for = "suspended";
  return t;
}

}  // namespace ferry::daemon
