#pragma once
// The events ferryd sends to applications (docs/ipc.md), one plain struct each: ferryd builds one
// and stores or sends encodePayload(); libferry (and ferryctl) read one with decode(), which
// never throws (a field of the wrong type is a protocol error naming the event and the field).
// The payload's keys are the SessionDelegate's argument names; the envelope (type, event, seq,
// session, task) is added by ferryd's outbox and read with EventEnvelope.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/error.hpp"
#include "model/http_request.hpp"
#include "model/task_metrics.hpp"
#include "protocol/groups.hpp"
#include "protocol/messages.hpp"

namespace ferry::protocol {

// Sizes that may be unknown travel as -1 (totalBytesExpectedToWrite, expectedTotalBytes, ...).

struct DidWriteData {  // transient
  static constexpr std::string_view kName = event::did_write_data;
  std::uint64_t bytes_written = 0;
  std::uint64_t total_bytes_written = 0;
  std::optional<std::uint64_t> total_bytes_expected_to_write;
  bool operator==(const DidWriteData&) const = default;
  Json encodePayload() const;
  static Result<DidWriteData> decode(const Json& payload);
};

struct DidResumeAtOffset {
  static constexpr std::string_view kName = event::did_resume_at_offset;
  std::uint64_t file_offset = 0;
  std::optional<std::uint64_t> expected_total_bytes;
  bool operator==(const DidResumeAtOffset&) const = default;
  Json encodePayload() const;
  static Result<DidResumeAtOffset> decode(const Json& payload);
};

struct DidFinishDownloadingTo {
  static constexpr std::string_view kName = event::did_finish_downloading_to;
  std::string location;
  bool temporary = false;  // in ferryd's delivered/, removed once the event is acknowledged
  long status_code = 0;
  std::uint64_t total_bytes_written = 0;
  bool operator==(const DidFinishDownloadingTo&) const = default;
  Json encodePayload() const;
  static Result<DidFinishDownloadingTo> decode(const Json& payload);
};

struct DidComplete {
  static constexpr std::string_view kName = event::did_complete;
  std::optional<Error> error;  // none: success
  long status_code = 0;
  std::optional<std::string> resume_data;  // sent only when there is some
  // What the task's attempts cost; absent in payloads stored before ferryd sent metrics (and when
  // the task never reached the engine).
  std::optional<model::TaskMetrics> metrics;
  bool operator==(const DidComplete&) const = default;
  Json encodePayload() const;
  static Result<DidComplete> decode(const Json& payload);
};

struct DidSendBodyData {  // transient
  static constexpr std::string_view kName = event::did_send_body_data;
  std::uint64_t bytes_sent = 0;
  std::uint64_t total_bytes_sent = 0;
  std::optional<std::uint64_t> total_bytes_expected_to_send;
  bool operator==(const DidSendBodyData&) const = default;
  Json encodePayload() const;
  static Result<DidSendBodyData> decode(const Json& payload);
};

struct DidRestartUpload {  // transient
  static constexpr std::string_view kName = event::did_restart_upload;
  std::string reason;
  bool operator==(const DidRestartUpload&) const = default;
  Json encodePayload() const;
  static Result<DidRestartUpload> decode(const Json& payload);
};

struct DidReceiveResponse {
  static constexpr std::string_view kName = event::did_receive_response;
  long status_code = 0;
  std::vector<model::Header> headers;  // [[name, value], ...] on the wire
  bool operator==(const DidReceiveResponse&) const = default;
  Json encodePayload() const;
  static Result<DidReceiveResponse> decode(const Json& payload);
};

struct DidReceiveData {
  static constexpr std::string_view kName = event::did_receive_data;
  std::string data;  // the bytes (base64 on the wire)
  bool truncated = false;
  bool operator==(const DidReceiveData&) const = default;
  Json encodePayload() const;
  static Result<DidReceiveData> decode(const Json& payload);
};

struct NeedNewBodyStream {  // transient
  static constexpr std::string_view kName = event::need_new_body_stream;
  std::string pipe;                     // the FIFO to write the body into
  std::optional<std::uint64_t> length;  // null on the wire when unknown
  bool operator==(const NeedNewBodyStream&) const = default;
  Json encodePayload() const;
  static Result<NeedNewBodyStream> decode(const Json& payload);
};

struct WillPerformHTTPRedirection {  // transient
  static constexpr std::string_view kName = event::will_perform_http_redirection;
  long status_code = 0;
  std::string location;
  std::string method;  // what following would send
  bool keeps_body = false;
  bool operator==(const WillPerformHTTPRedirection&) const = default;
  Json encodePayload() const;
  static Result<WillPerformHTTPRedirection> decode(const Json& payload);
};

struct TaskStateChanged {  // taskState, transient, watchers only
  static constexpr std::string_view kName = event::task_state;
  std::string state;
  std::string waiting_for;
  bool operator==(const TaskStateChanged&) const = default;
  Json encodePayload() const;
  static Result<TaskStateChanged> decode(const Json& payload);
};

struct DidBecomeInvalid {  // session-level (task 0)
  static constexpr std::string_view kName = event::did_become_invalid;
  std::optional<Error> error;
  bool operator==(const DidBecomeInvalid&) const = default;
  Json encodePayload() const;
  static Result<DidBecomeInvalid> decode(const Json& payload);
};

// A download group's progress (transient; task: the group's id), sent with its members' didWriteData.
struct DidWriteGroupData {
  static constexpr std::string_view kName = event::did_write_group_data;
  GroupProgress progress;
  bool operator==(const DidWriteGroupData&) const = default;
  Json encodePayload() const;
  static Result<DidWriteGroupData> decode(const Json& payload);
};

// A download group ended (task: the group's id): completed (every file in place), failed (which
// member, and why, in group.failures; no file was put in place) or cancelled. Stored after its
// members' own didComplete events, in the same transaction.
struct DidCompleteGroup {
  static constexpr std::string_view kName = event::did_complete_group;
  GroupInfo group;
  std::optional<std::string> resume_data;  // a group cancelled with resume data
  bool operator==(const DidCompleteGroup&) const = default;
  Json encodePayload() const;
  static Result<DidCompleteGroup> decode(const Json& payload);
};

using Event = std::variant<DidWriteData, DidResumeAtOffset, DidFinishDownloadingTo, DidComplete, DidSendBodyData,
                           DidRestartUpload, DidReceiveResponse, DidReceiveData, NeedNewBodyStream,
                           WillPerformHTTPRedirection, TaskStateChanged, DidBecomeInvalid, DidWriteGroupData,
                           DidCompleteGroup>;

// What ferryd's outbox puts around every payload.
struct EventEnvelope {
  std::string event;
  std::uint64_t seq = 0;  // 0: transient (not stored, not acknowledged)
  std::string session;
  std::uint64_t task = 0;
  bool queued = false;  // watchers: stored before the watch began
  bool operator==(const EventEnvelope&) const = default;
  static Result<EventEnvelope> decode(const Json& message);
};

// The payload of an event message as its struct, by its name; an unknown name is a protocol error.
Result<Event> decodeEvent(std::string_view name, const Json& payload);
std::string_view eventName(const Event& event);
Json encodePayload(const Event& event);

}  // namespace ferry::protocol
