#include "protocol/events.hpp"

#include <type_traits>

#include "common/base64.hpp"
#include "protocol/field_reader.hpp"
#include "protocol/task_metrics.hpp"

namespace ferry::protocol {
namespace {

Json sizeOrMinusOne(const std::optional<std::uint64_t>& size) { return size ? Json(*size) : Json(-1); }

// -1 (or any negative number): unknown.
std::optional<std::uint64_t> readSizeOrUnknown(FieldReader& in, std::string_view field) {
  const auto size = in.optionalInteger(field);
  if (!size || *size < 0) return std::nullopt;
  return static_cast<std::uint64_t>(*size);
}

Json errorOrNullJson(const std::optional<Error>& error) { return error ? errorJson(*error) : Json(nullptr); }

std::optional<Error> readError(FieldReader& in) {
  const Json* error = in.object("error");
  if (!error) return std::nullopt;
  return errorFromJson(*error);
}

long readStatusCode(FieldReader& in) { return static_cast<long>(in.integer("statusCode")); }

template <class E>
Result<Event> decodeAsEvent(const Json& payload) {
  auto decoded = E::decode(payload);
  if (!decoded) return tl::unexpected(decoded.error());
  return Event(std::move(*decoded));
}

// Decodes with the one of E... whose name is `name` (the fold stops at the first match).
template <class... E>
Result<Event> decodeOneOf(std::string_view name, const Json& payload, const std::variant<E...>*) {
  Result<Event> out = fail(errc::protocol, "unknown event \"" + std::string(name.substr(0, 64)) + "\"");
  (void)((name == E::kName && (out = decodeAsEvent<E>(payload), true)) || ...);
  return out;
}

}  // namespace

Json DidWriteData::encodePayload() const {
  return {{"bytesWritten", bytes_written},
          {"totalBytesWritten", total_bytes_written},
          {"totalBytesExpectedToWrite", sizeOrMinusOne(total_bytes_expected_to_write)}};
}

Result<DidWriteData> DidWriteData::decode(const Json& payload) {
  FieldReader in(payload, std::string(kName));
  DidWriteData e;
  e.bytes_written = in.unsignedInteger("bytesWritten");
  e.total_bytes_written = in.unsignedInteger("totalBytesWritten");
  e.total_bytes_expected_to_write = readSizeOrUnknown(in, "totalBytesExpectedToWrite");
  return in.finish(e);
}

Json DidResumeAtOffset::encodePayload() const {
  return {{"fileOffset", file_offset}, {"expectedTotalBytes", sizeOrMinusOne(expected_total_bytes)}};
}

Result<DidResumeAtOffset> DidResumeAtOffset::decode(const Json& payload) {
  FieldReader in(payload, std::string(kName));
  DidResumeAtOffset e;
  e.file_offset = in.unsignedInteger("fileOffset");
  e.expected_total_bytes = readSizeOrUnknown(in, "expectedTotalBytes");
  return in.finish(e);
}

Json DidFinishDownloadingTo::encodePayload() const {
  return {{"location", location},
          {"temporary", temporary},
          {"statusCode", status_code},
          {"totalBytesWritten", total_bytes_written}};
}

Result<DidFinishDownloadingTo> DidFinishDownloadingTo::decode(const Json& payload) {
  FieldReader in(payload, std::string(kName));
  DidFinishDownloadingTo e;
  e.location = in.string("location");
  e.temporary = in.boolean("temporary");
  e.status_code = readStatusCode(in);
  e.total_bytes_written = in.unsignedInteger("totalBytesWritten");
  return in.finish(std::move(e));
}

Json DidComplete::encodePayload() const {
  Json j{{"error", errorOrNullJson(error)}, {"statusCode", status_code}};
  if (resume_data) j["resumeData"] = *resume_data;
  if (metrics) j["metrics"] = taskMetricsToJson(*metrics);
  return j;
}

Result<DidComplete> DidComplete::decode(const Json& payload) {
  FieldReader in(payload, std::string(kName));
  DidComplete e;
  e.error = readError(in);
  e.status_code = readStatusCode(in);
  e.resume_data = in.optionalString("resumeData");
  if (const Json* metrics = in.object("metrics")) e.metrics = in.take(taskMetricsFromJson(*metrics));
  return in.finish(std::move(e));
}

Json DidSendBodyData::encodePayload() const {
  return {{"bytesSent", bytes_sent},
          {"totalBytesSent", total_bytes_sent},
          {"totalBytesExpectedToSend", sizeOrMinusOne(total_bytes_expected_to_send)}};
}

Result<DidSendBodyData> DidSendBodyData::decode(const Json& payload) {
  FieldReader in(payload, std::string(kName));
  DidSendBodyData e;
  e.bytes_sent = in.unsignedInteger("bytesSent");
  e.total_bytes_sent = in.unsignedInteger("totalBytesSent");
  e.total_bytes_expected_to_send = readSizeOrUnknown(in, "totalBytesExpectedToSend");
  return in.finish(e);
}

Json DidRestartUpload::encodePayload() const { return {{"reason", reason}}; }

Result<DidRestartUpload> DidRestartUpload::decode(const Json& payload) {
  FieldReader in(payload, std::string(kName));
  DidRestartUpload e;
  e.reason = in.string("reason");
  return in.finish(std::move(e));
}

Json DidReceiveResponse::encodePayload() const {
  Json pairs = Json::array();
  for (const auto& h : headers) pairs.push_back({h.name, h.value});
  return {{"statusCode", status_code}, {"headers", pairs}};
}

Result<DidReceiveResponse> DidReceiveResponse::decode(const Json& payload) {
  FieldReader in(payload, std::string(kName));
  DidReceiveResponse e;
  e.status_code = readStatusCode(in);
  if (const Json* pairs = in.array("headers")) {
    for (const auto& pair : *pairs) {
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
        in.problem(std::string(kName) + ": headers must be [name, value] pairs of strings");
        break;
      }
      e.headers.push_back({pair[0].get<std::string>(), pair[1].get<std::string>()});
    }
  }
  return in.finish(std::move(e));
}

Json DidReceiveData::encodePayload() const { return {{"data", base64Encode(data)}, {"truncated", truncated}}; }

Result<DidReceiveData> DidReceiveData::decode(const Json& payload) {
  FieldReader in(payload, std::string(kName));
  DidReceiveData e;
  const auto encoded = in.string("data");
  e.truncated = in.boolean("truncated");
  if (auto bytes = base64Decode(encoded)) e.data = std::move(*bytes);
  else in.problem(std::string(kName) + ": data must be base64");
  return in.finish(std::move(e));
}

Json NeedNewBodyStream::encodePayload() const {
  return {{"pipe", pipe}, {"length", length ? Json(*length) : Json(nullptr)}};
}

Result<NeedNewBodyStream> NeedNewBodyStream::decode(const Json& payload) {
  FieldReader in(payload, std::string(kName));
  NeedNewBodyStream e;
  e.pipe = in.string("pipe");
  e.length = in.optionalUnsigned("length");
  return in.finish(std::move(e));
}

Json WillPerformHTTPRedirection::encodePayload() const {
  return {{"statusCode", status_code}, {"location", location}, {"method", method}, {"keepsBody", keeps_body}};
}

Result<WillPerformHTTPRedirection> WillPerformHTTPRedirection::decode(const Json& payload) {
  FieldReader in(payload, std::string(kName));
  WillPerformHTTPRedirection e;
  e.status_code = readStatusCode(in);
  e.location = in.string("location");
  e.method = in.string("method");
  e.keeps_body = in.boolean("keepsBody");
  return in.finish(std::move(e));
}

Json TaskStateChanged::encodePayload() const { return {{"state", state}, {"waiting_for", waiting_for}}; }

Result<TaskStateChanged> TaskStateChanged::decode(const Json& payload) {
  FieldReader in(payload, std::string(kName));
  TaskStateChanged e;
  e.state = in.string("state");
  e.waiting_for = in.string("waiting_for");
  return in.finish(std::move(e));
}

Json DidBecomeInvalid::encodePayload() const { return {{"error", errorOrNullJson(error)}}; }

Result<DidBecomeInvalid> DidBecomeInvalid::decode(const Json& payload) {
  FieldReader in(payload, std::string(kName));
  DidBecomeInvalid e;
  e.error = readError(in);
  return in.finish(std::move(e));
}

Json DidWriteGroupData::encodePayload() const { return groupProgressToJson(progress); }

Result<DidWriteGroupData> DidWriteGroupData::decode(const Json& payload) {
  auto progress = groupProgressFromJson(payload);
  if (!progress) return tl::unexpected(progress.error());
  return DidWriteGroupData{*progress};
}

Json DidCompleteGroup::encodePayload() const {
  Json j{{"group", groupInfoToJson(group)}};
  if (resume_data) j["resume_data"] = *resume_data;
  return j;
}

Result<DidCompleteGroup> DidCompleteGroup::decode(const Json& payload) {
  FieldReader in(payload, std::string(kName));
  DidCompleteGroup e;
  if (const Json* g = in.object("group")) e.group = in.take(groupInfoFromJson(*g)).value_or(GroupInfo{});
  else if (in.ok()) in.problem("didCompleteGroup: group is missing");
  e.resume_data = in.optionalString("resume_data");
  return in.finish(std::move(e));
}

Result<EventEnvelope> EventEnvelope::decode(const Json& message) {
  FieldReader in(message, "event message");
  EventEnvelope e;
  e.event = in.string("event");
  e.seq = in.unsignedInteger("seq");
  e.session = in.string("session");
  e.task = in.unsignedInteger("task");
  e.queued = in.boolean("queued");
  return in.finish(std::move(e));
}

Result<Event> decodeEvent(std::string_view name, const Json& payload) {
  return decodeOneOf(name, payload, static_cast<const Event*>(nullptr));
}

std::string_view eventName(const Event& event) {
  return std::visit([](const auto& e) { return std::remove_cvref_t<decltype(e)>::kName; }, event);
}

Json encodePayload(const Event& event) {
  return std::visit([](const auto& e) { return e.encodePayload(); }, event);
}

}  // namespace ferry::protocol
