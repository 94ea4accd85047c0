#pragma once
// The IPC protocol between libferry and ferryd: newline-delimited JSON objects over a Unix socket.
// docs/ipc.md is the reference; this header is its code. Every message has a "type". Requests carry
// an "id" that the "reply" repeats. Events flow from the daemon unasked.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "ferry/task_info.hpp"
#include "model/http_request.hpp"
#include "model/session_config.hpp"
#include "model/task_metrics.hpp"

namespace ferry::protocol {

using Json = nlohmann::json;

// Bumped on any incompatible change; the hello handshake refuses a mismatch with a clear error.
inline constexpr int kVersion = 1;

// A single line from a client may not exceed this (a client that sends more is cut off with an error).
inline constexpr std::size_t kMaxLineBytes = 1 << 20;
// A line from ferryd may be much longer: the reply to `list` carries every task of a session
// (about 400 bytes each; 100,000 tasks are ~40 MB). The limit only stops a runaway.
inline constexpr std::size_t kMaxDaemonLineBytes = std::size_t{512} << 20;

namespace type {
// client -> daemon
inline constexpr std::string_view hello = "hello";
inline constexpr std::string_view create_download = "create_download";
inline constexpr std::string_view create_downloads = "create_downloads";  // many at once (Session::downloadTasks)
inline constexpr std::string_view create_upload = "create_upload";
inline constexpr std::string_view suspend = "suspend";
inline constexpr std::string_view resume = "resume";
inline constexpr std::string_view cancel = "cancel";
inline constexpr std::string_view cancel_with_resume_data = "cancel_with_resume_data";
inline constexpr std::string_view list = "list";
inline constexpr std::string_view ack = "ack";
inline constexpr std::string_view watch = "watch";
inline constexpr std::string_view status = "status";
inline constexpr std::string_view finish_tasks_and_invalidate = "finish_tasks_and_invalidate";
inline constexpr std::string_view invalidate_and_cancel = "invalidate_and_cancel";
inline constexpr std::string_view body_stream_opened = "body_stream_opened";  // streamed uploads
inline constexpr std::string_view body_stream_ended = "body_stream_ended";
inline constexpr std::string_view limits = "limits";        // bandwidth limits and current rates
inline constexpr std::string_view set_limit = "set_limit";  // change the global or a session's limit
inline constexpr std::string_view decide_redirect = "decide_redirect";  // answers willPerformHTTPRedirection
inline constexpr std::string_view export_resume_data = "export_resume_data";  // for an in-process session
inline constexpr std::string_view create_group = "create_group";  // a download group (protocol/groups.hpp)
// daemon -> client
inline constexpr std::string_view reply = "reply";
inline constexpr std::string_view event = "event";
inline constexpr std::string_view events_drained = "events_drained";
}  // namespace type

// Event names (the "event" field of an event message): the SessionDelegate's callbacks.
namespace event {
inline constexpr std::string_view did_write_data = "didWriteData";
inline constexpr std::string_view did_resume_at_offset = "didResumeAtOffset";
inline constexpr std::string_view did_finish_downloading_to = "didFinishDownloadingTo";
inline constexpr std::string_view did_complete = "didComplete";
inline constexpr std::string_view did_send_body_data = "didSendBodyData";        // uploads, progress (transient)
inline constexpr std::string_view did_restart_upload = "didRestartUpload";      // uploads: from byte 0 again (transient)
inline constexpr std::string_view did_receive_response = "didReceiveResponse";  // uploads: status and headers
inline constexpr std::string_view did_receive_data = "didReceiveData";          // uploads: the answer's body
inline constexpr std::string_view need_new_body_stream = "needNewBodyStream";  // streamed uploads (transient)
inline constexpr std::string_view will_perform_http_redirection = "willPerformHTTPRedirection";  // uploads, redirects "ask" (transient)
inline constexpr std::string_view did_become_invalid = "didBecomeInvalid";  // session-level (task 0)
inline constexpr std::string_view task_state = "taskState";  // waiting_for changed (watchers only)
inline constexpr std::string_view did_write_group_data = "didWriteGroupData";  // a group's progress (transient)
inline constexpr std::string_view did_complete_group = "didCompleteGroup";     // a group ended (task: the group's id)
}  // namespace event

// Parses one line into a JSON object that has a string "type". Anything else is a protocol error
// with a sentence a person can act on; never throws. Lines longer than `max_bytes` are refused.
Result<Json> parseLine(std::string_view line, std::size_t max_bytes = kMaxLineBytes);

// Serialises a message as one line (with the trailing newline).
std::string toLine(const Json& message);

Json errorJson(const Error& error);
Error errorFromJson(const Json& j);

// ---- Value codecs shared by both sides ----

Json requestToJson(const model::HttpRequest& request);
// Validates: url present and ≤ 8 KiB, method a token, headers are name/value strings without CR/LF,
// timeouts positive. The URL's syntax and scheme are checked by the engine (bad-url, unsupported-scheme).
Result<model::HttpRequest> requestFromJson(const Json& j);

// A task as the daemon reports it (getAllTasks, list, replies): public API (ferry/task_info.hpp).
using TaskInfo = ferry::TaskInfo;

Json taskInfoToJson(const TaskInfo& info);
Result<TaskInfo> taskInfoFromJson(const Json& j);
// The "tasks" array of a list reply.
Result<std::vector<TaskInfo>> taskListFromJson(const Json& reply);

}  // namespace ferry::protocol

namespace ferry::protocol {

// What ferryd runs to relaunch a session's application (like iOS relaunching an app in the
// background): when the session has undelivered events and no client attached, and for background
// refresh. Validated by sessionConfigFromJson (shape) and by ferryd at attach (the program exists).
using model::LaunchCommand;  // model/session_config.hpp

// Names ferryd itself sets in a launched application's environment.
inline constexpr std::string_view kLaunchSessionVariable = "FERRY_SESSION";
inline constexpr std::string_view kLaunchSocketVariable = "FERRY_SOCKET";
inline constexpr std::string_view kLaunchReasonVariable = "FERRY_LAUNCH_REASON";  // events | refresh

Json launchCommandToJson(const LaunchCommand& launch);
Result<LaunchCommand> launchCommandFromJson(const Json& j);

// A background session's configuration, sent in hello (model/session_config.hpp).
using model::SessionConfig;

Json sessionConfigToJson(const SessionConfig& config);
Result<SessionConfig> sessionConfigFromJson(const Json& j);

// Session identifiers: 1..128 characters of [A-Za-z0-9._-]; they name files and log lines.
Result<void> validateSessionId(const std::string& id);

}  // namespace ferry::protocol
