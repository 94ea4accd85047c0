#pragma once
// Value types of libferry's public API.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ferry/error.hpp"
#include "ferry/group_info.hpp"
#include "ferry/status.hpp"
#include "ferry/task_info.hpp"
#include "ferry/task_metrics.hpp"

namespace ferry {

// An HTTP request as an application describes it (URLRequest).
struct Request {
  std::string url;
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::seconds stall_timeout{60};    // < 1 byte/s for this long: retry
  std::chrono::seconds connect_timeout{30};

  Request() = default;
  Request(std::string u) : url(std::move(u)) {}  // NOLINT: a URL is a request
  Request(const char* u) : url(u) {}             // NOLINT
};

// When a task may start and in which order (URLSessionTask.priority, isDiscretionary,
// earliestBeginDate). Checked by ferryd: out-of-range values are invalid-argument errors.
struct SchedulingOptions {
  double priority = 0.5;       // 0.0 (lowest) .. 1.0 (highest): order among tasks waiting for a slot
  bool discretionary = false;  // runs only while no other (non-discretionary) task runs or waits
  // Held until then (whole seconds count; ferryd keeps the date across its restarts).
  std::optional<std::chrono::system_clock::time_point> earliest_begin;
  // What the task asks of the machine (background sessions; ferryd watches the machine): false
  // holds it while the network is metered (expensive) or marked metered by the user
  // (constrained) — mid-transfer too: it stops at a checkpoint and continues by Range later.
  // The session's Configuration settings count as well: the task runs only if both allow it.
  bool allows_expensive_network_access = true;
  bool allows_constrained_network_access = true;
  // Waits on battery and in the power-saver profile, as a discretionary task does.
  bool requires_external_power = false;
};

struct DownloadOptions {
  // When set (absolute, or relative to the current directory), ferryd renames the finished file
  // there atomically; didFinishDownloadingTo then reports this path and it is not removed.
  std::filesystem::path destination;
  std::string description;  // a label shown by ferryctl list
  SchedulingOptions scheduling;
  // Created running, in the same round trip (ferryd's `start`): no resume() needed. Default: created
  // suspended, as URLSession's tasks are, so that the application can record the task's id first.
  bool start = false;
  // The digest the file must have: "sha-256=HEX", "sha-512=HEX" (aria2's --checksum spelling) or
  // RFC 9530's "sha-256=:BASE64:". The bytes are hashed as they arrive; a mismatch discards them
  // and fetches the file once more from zero, and a second mismatch ends the task with
  // `integrity` (naming both digests). The file is never moved to `destination` unverified. A
  // server's Repr-Digest/Digest is checked as well, with or without this. Anything else in it is
  // invalid-argument. Resume data carries the digest of the task it came from (this one is
  // ignored there).
  std::string expected_digest;
  // At most this many connections fetch the file at once, each its own byte range (aria2's -x):
  // 1 (the default) to 16. Used only when the server serves byte ranges of a file with a
  // validator (an ETag or Last-Modified); otherwise the file comes over one connection as usual.
  // Anything else is invalid-argument, before anything is sent. Resume data carries the count of
  // the task it came from (this one is ignored there).
  int connections = 1;
  static constexpr int kMaxConnections = 16;
  // Other URLs of the same file (aria2's extra URIs; at most kMaxMirrors): the same length and the
  // same validator (ETag or Last-Modified) as the request's URL. A segmented download fetches its
  // byte ranges from all of them; a mirror that fails, or serves another file (another length or
  // validator), is dropped and the others go on — ferryd logs `task N: mirror URL dropped:
  // REASON`. At least one connection per URL is used (connections is raised to 1 + mirrors, up to
  // kMaxConnections). More than kMaxMirrors, or an empty one, is invalid-argument and one that is
  // not http:// or https:// is bad-url, before anything is sent. Resume data carries the mirrors of the
  // task it came from (these are ignored there).
  std::vector<std::string> mirrors;
  static constexpr std::size_t kMaxMirrors = 8;
};

// One download of a batch (Session::downloadTasks).
struct DownloadRequest {
  Request request;
  DownloadOptions options;
};

// One file of a download group (Session::downloadGroup): what to fetch and where it goes. The
// destination is required, one per file (absolute, or relative to the current directory). The
// digest, connections and mirrors mean what DownloadOptions' do, for this file.
struct GroupFile {
  Request request;
  std::filesystem::path destination;
  std::string expected_digest;
  int connections = 1;
  std::vector<std::string> mirrors;
};

// What a download group's files share (Session::downloadGroup).
struct GroupOptions {
  std::string description;      // a label shown by ferryctl list
  SchedulingOptions scheduling;  // every file's
  // Created running, in the same round trip. Default: created suspended, as tasks are (the
  // application records the group's id, then calls Session::resumeGroup).
  bool start = false;
};

struct UploadOptions {
  // ietf: offer the IETF "Resumable Uploads for HTTP" draft (servers that do not speak it ignore
  // the offer; then a failed upload starts again from byte 0). tus: tus 1.0.0 (the request URL is
  // the creation endpoint). none: never resume.
  std::string resumable = "ietf";
  // follow: 3xx answers are followed (303 turns into GET, 307/308 keep method and body). refuse:
  // a 3xx is the answer (didReceiveResponse with its status, didComplete without error). ask: the
  // delegate's willPerformHTTPRedirection decides while this application is attached; without
  // an attached application, or without an answer within 60 s, ferryd follows.
  std::string redirects = "follow";
  std::string description;
  SchedulingOptions scheduling;
  // Created running, in the same round trip (ferryd's `start`): no resume() needed. Default: created
  // suspended, as URLSession's tasks are, so that the application can record the task's id first.
  bool start = false;
};

// TaskInfo (ferry/task_info.hpp): a task as ferryd reports it (getAllTasks). DaemonStatus,
// SessionStatus, LaunchStatus, BandwidthStatus (ferry/status.hpp): what Control reports.
// TaskMetrics, AttemptMetrics (ferry/task_metrics.hpp): what a task's attempts cost
// (URLSessionTaskMetrics): didFinishCollectingMetrics, TaskInfo::metrics.

// What didComplete reports.
struct Completion {
  std::optional<Error> error;  // none: success
  long status_code = 0;        // the HTTP status of the final response (0 if none)
  std::string resume_data;     // non-empty when the download can be resumed from it
  bool ok() const { return !error.has_value(); }
};

}  // namespace ferry
