#include "daemon/task.hpp"

#include <array>
#include <utility>

#include "protocol/scheduling.hpp"

namespace ferry::daemon {
namespace {

// The names an enum's values have in the store and on the wire, both ways.
template <class Enum, std::size_t N>
using NameTable = std::array<std::pair<Enum, std::string_view>, N>;

template <class Enum, std::size_t N>
std::optional<std::string_view> nameIn(const NameTable<Enum, N>& table, Enum value) {
  for (const auto& [v, name] : table)
    if (v == value) return name;
  return std::nullopt;
}

template <class Enum, std::size_t N>
std::optional<Enum> valueIn(const NameTable<Enum, N>& table, std::string_view name) {
  for (const auto& [v, n] : table)
    if (n == name) return v;
  return std::nullopt;
}

constexpr NameTable<engine::ResumableMode, 3> kModes{{
    {engine::ResumableMode::none, "none"},
    {engine::ResumableMode::ietf, "ietf"},
    {engine::ResumableMode::tus, "tus"},
}};
constexpr NameTable<engine::RedirectPolicy, 3> kRedirectPolicies{{
    {engine::RedirectPolicy::follow, "follow"},
    {engine::RedirectPolicy::refuse, "refuse"},
    {engine::RedirectPolicy::ask, "ask"},
}};

}  // namespace

std::optional<engine::ResumableMode> resumableModeFromName(std::string_view name) { return valueIn(kModes, name); }
std::string_view redirectPolicyName(engine::RedirectPolicy policy) { return nameIn(kRedirectPolicies, policy).value_or("follow"); }
std::optional<engine::RedirectPolicy> redirectPolicyFromName(std::string_view name) { return valueIn(kRedirectPolicies, name); }

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
  if (upload) row.upload_json = upload->toJson().dump();
  row.state = std::string(stateName(state()));
  auto request_json = protocol::requestToJson(request);
  protocol::schedulingToJson(scheduling, request_json["schedule"]);
  row.request_json = request_json.dump();
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

protocol::TaskInfo Task::toInfo() const {
  protocol::TaskInfo info;
  info.id = id;
  info.session = session;
  info.state = std::string(stateName(state()));
  info.waiting_for = waiting_for;
  info.url = request.url;
  info.destination = destination.empty() ? result_path : destination;
  info.description = description;
  info.kind = upload ? "upload" : "download";
  info.bytes_written = upload ? upload->sent : std::max(written, durable);
  if (upload) info.destination = upload->spooled ? std::string() : upload->body.string();  // the source, for lists
  info.expected_total = upload ? std::optional<std::uint64_t>(upload->identity.size) : expected_total;
  info.http_status = http_status;
  info.error = error;
  info.suspend_count = suspend_count;
  info.created_at = created_at;
  info.priority = scheduling.priority;
  info.discretionary = scheduling.discretionary;
  info.begin_at = protocol::beginAtSeconds(scheduling);
  return info;
}

Result<Task> Task::fromRow(const store::TaskRow& row) {
  Task t;
  t.id = row.id;
  t.session = row.session;
  auto state = stateFromName(row.state);
  if (!state) return fail(errc::internal, "task " + std::to_string(row.id) + " has unknown state " + row.state);
  t.stored_state = *state;
  auto json = nlohmann::json::parse(row.request_json, nullptr, false);
  auto request = protocol::requestFromJson(json);
  if (!request) return tl::unexpected(request.error());
  t.request = *request;
  if (json.is_object() && json.contains("schedule")) {
    auto scheduling = protocol::schedulingFromJson(json["schedule"]);
    if (!scheduling) return tl::unexpected(scheduling.error());
    t.scheduling = *scheduling;
  }
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
  if (row.kind == "upload") {
    auto spec = UploadSpec::fromJson(nlohmann::json::parse(row.upload_json, nullptr, false));
    if (!spec) return tl::unexpected(spec.error());
    t.upload = std::make_unique<UploadSpec>(std::move(*spec));
  } else if (row.kind != "download") {
    return fail(errc::internal, "task " + std::to_string(row.id) + " is of unknown kind " + row.kind);
  }
  if (t.stored_state == TaskState::suspended) t.waiting_for = "suspended";
  return t;
}

nlohmann::json UploadSpec::toJson() const {
  return {{"body", body.string()},
          {"spooled", spooled},
          {"identity", {{"size", identity.size}, {"mtime_ns", identity.mtime_ns}, {"device", identity.device}, {"inode", identity.inode}}},
          {"resumable", nameIn(kModes, mode).value_or("none")},
          {"redirects", redirectPolicyName(redirects)},
          {"upload_url", upload_url},
          {"confirmed_offset", confirmed_offset},
          {"stream", stream},
          {"stream_length", stream_length ? nlohmann::json(*stream_length) : nlohmann::json(nullptr)}};
}

Result<UploadSpec> UploadSpec::fromJson(const nlohmann::json& j) {
  // Written by this daemon only; a damaged row is reported, never guessed at.
  if (!j.is_object() || !j.contains("body") || !j["body"].is_string() || !j.contains("identity") || !j["identity"].is_object())
    return fail(errc::internal, "an upload task's stored description is damaged");
  UploadSpec s;
  s.body = j["body"].get<std::string>();
  s.spooled = j.value("spooled", false);
  const auto& id = j["identity"];
  s.identity = {id.value("size", std::uint64_t{0}), id.value("mtime_ns", std::int64_t{0}), id.value("device", std::uint64_t{0}),
                id.value("inode", std::uint64_t{0})};
  auto mode = resumableModeFromName(j.value("resumable", "ietf"));
  if (!mode) return fail(errc::internal, "an upload task has an unknown resumable mode");
  s.mode = *mode;
  s.redirects = redirectPolicyFromName(j.value("redirects", "follow")).value_or(engine::RedirectPolicy::follow);
  s.upload_url = j.value("upload_url", "");
  s.confirmed_offset = j.value("confirmed_offset", std::uint64_t{0});
  s.stream = j.value("stream", false);
  if (j.contains("stream_length") && j["stream_length"].is_number_unsigned()) s.stream_length = j["stream_length"].get<std::uint64_t>();
  return s;
}

}  // namespace ferry::daemon
