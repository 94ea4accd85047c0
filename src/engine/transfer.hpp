#pragma once
// What the engine is asked to do (a DownloadJob or an UploadJob) and what it reports back (Event).
// Plain values: no IPC, no SQLite. The daemon and in-process sessions both speak this.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "model/file_identity.hpp"
#include "model/http_request.hpp"
#include "model/scheduling.hpp"
#include "model/segments.hpp"
#include "model/task_id.hpp"
#include "model/task_metrics.hpp"
#include "model/transport.hpp"
#include "model/upload_options.hpp"
#include "model/validators.hpp"

namespace ferry::engine {

class CookieJar;  // cookie_jar.hpp

// The task's own values live in src/model (shared with the protocol and libferry, which must not
// see the engine); the engine names them as its own.
using model::FileIdentity;
using model::Header;
using model::HttpRequest;
using model::RedirectPolicy;
using model::ResumableMode;
using model::Segment;
using model::Segments;
using model::Scheduling;
using model::AttemptMetrics;
using model::TaskId;
using model::TaskMetrics;
using model::TransportSettings;
using model::Validators;
using Clock = std::chrono::steady_clock;
using WallClock = std::chrono::system_clock;


struct RetryPolicy {
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{60000};
  // After this moment no further retry is made and the task fails with resource-timeout.
  WallClock::time_point resource_deadline = WallClock::now() + std::chrono::hours(24 * 7);
};

// A download body kept in memory: at most `limit` bytes (past it the job fails with too-large),
// starting with `bytes`, what an earlier job of the same task kept (continued by Range like a
// partial file, as far as resume_offset says).
struct MemoryBody {
  std::uint64_t limit = 0;
  std::string bytes;
};

struct DownloadJob {
  TaskId id = 0;
  std::string group;  // scheduling group (a session): GroupLimits apply per group
  HttpRequest request;
  std::filesystem::path partial_path;  // the engine creates/opens and writes this file
  std::uint64_t resume_offset = 0;     // trusted bytes already in partial_path (file is cut to this)
  Validators validators;               // of those bytes; required for a Range request when offset > 0
  // A segmented download's ranges as far as the owner trusts them (model/segments.hpp; then
  // resume_offset is their bytesFilled); empty: the trusted bytes are the file's first resume_offset.
  Segments segments;
  RetryPolicy retry;
  std::uint64_t max_bytes_per_second = 0;  // 0: unlimited
  Scheduling scheduling;
  TransportSettings transport;  // proxy, TLS trust and identity, HTTP version (its session's)
  bool follow_redirects = true;  // false: a 3xx is the answer (its body written like a 404's)
  // Set: the body is kept in memory instead of partial_path (an in-process data task, whose body
  // the application gets as a string: a file would cost a create, a read and an unlink per task).
  std::optional<MemoryBody> in_memory;
};

// ---- Uploads ----

// The body is a file, opened again at every attempt (so a retry or a 307/308 can resend it and a
// resumable upload can continue from any offset). `expected` empty: the engine records the
// identity when the job starts; a restarted daemon passes what it recorded then, so a file
// changed while the daemon was down is detected too.
struct FileBody {
  std::filesystem::path path;
  std::optional<FileIdentity> expected;
};

// The body is whatever a readable descriptor (a pipe's read end) produces. It is read without
// blocking (the engine sets O_NONBLOCK); a stream can be sent once only: a retry after bytes were
// taken from it, or a redirect that must resend the body, ends the job with
// errc::needs_new_body_stream (the owner asks the application for a new stream, as URLSession's
// needNewBodyStream). Without `length` the body goes with chunked transfer encoding (HTTP/1.1).
struct StreamBody {
  UniqueFd fd;
  std::optional<std::uint64_t> length;
};

using UploadBody = std::variant<FileBody, StreamBody>;

struct ResumableUpload {
  ResumableMode mode = ResumableMode::none;
  // The upload resource, when known from an earlier run (UploadResourceKnown, persisted by the
  // owner): the job starts with HEAD upload_url instead of creating a new upload.
  std::string upload_url;
  std::uint64_t known_offset = 0;  // the server's offset as last confirmed (informational: HEAD decides)
  int ietf_interop_version = 8;    // Upload-Draft-Interop-Version: 8 (drafts -09..-12) or 6 (-04/-05)
  std::string tus_metadata;        // Upload-Metadata value for the tus creation request, as given
};

struct UploadJob {
  UploadJob() { request.method = "PUT"; }
  TaskId id = 0;
  std::string group;
  // url, method (any token; "PUT" unless set; tus mode always creates with POST), headers as given.
  HttpRequest request;
  UploadBody body;
  // The server's answer body goes here (created 0600, cut at every new final answer). Bytes past
  // max_response_body_bytes are read and dropped, and Finished says so: an upload's answer is a
  // status document, never something that may fill a disk.
  std::filesystem::path response_body_path;
  std::uint64_t max_response_body_bytes = 16 * 1024 * 1024;
  RetryPolicy retry;
  std::uint64_t max_bytes_per_second = 0;  // CURLOPT_MAX_SEND_SPEED_LARGE; 0: unlimited
  Scheduling scheduling;
  RedirectPolicy redirects = RedirectPolicy::follow;
  ResumableUpload resumable;
  TransportSettings transport;  // proxy, TLS trust and identity, HTTP version (its session's)
};

struct GroupLimits {
  int max_concurrent = 6;  // transfers running at once in the group
  int max_per_host = 4;    // transfers running at once to one host (scheme://host:port) in the group
};

struct EngineOptions {
  int max_total_concurrent = 64;                          // across all groups
  std::chrono::milliseconds progress_interval{100};       // coalescing: at most 10 progress/s per task
  long buffer_size = 512 * 1024;                          // CURLOPT_BUFFERSIZE
  // PEM file of CAs to trust instead of the system's; empty: system. A job's own
  // TransportSettings::ca_file wins over it.
  std::filesystem::path ca_bundle;
  // Cookies kept in memory and shared by every job (cookie_jar.hpp); null: none kept.
  std::shared_ptr<const CookieJar> cookies;
  // Called on the transfer thread after each loop turn's events, before it sleeps (and once when
  // it ends): an owner that hands events to another thread can hand over a turn's at once, and
  // wake that thread once per turn instead of once per event.
  std::function<void()> turn_ended;
};

// ---- Events, posted by the transfer thread through the one sink, in order per task ----
// Every job sends Waiting, Retrying and Finished; downloads send Responded and Progress; uploads
// send Responded (their final answer) and SendProgress, UploadResourceKnown, UploadRestarted and
// RedirectProposed.

// The task is not transferring, and why: "queued", "concurrency-limit", "connection-limit",
// "retry-backoff 30s" (seconds until the next attempt), "discretionary" (waits for other work to
// end), "begin-date 2026-11-30T08:30:00Z" (held until then).
struct Waiting {
  TaskId id;
  std::string reason;
};

// Response headers of an attempt arrived and the body will be written at `offset`: either the
// resume offset (206 honoured) or 0 (server sent the whole entity: the partial file was cut to 0).
struct Responded {
  TaskId id;
  long status = 0;
  std::uint64_t offset = 0;
  std::optional<std::uint64_t> expected_total;  // full entity length when known
  Validators validators;                        // of the entity now being written
  std::string content_type;
  // Uploads: the final answer's header fields in order (names as the server spelled them), sent
  // once that answer is known to be the one delivered (so a followed 3xx or a retried 503 never
  // shows up here). offset is 0 and expected_total the answer body's Content-Length.
  // Downloads: only those kept in memory (DownloadJob::in_memory: a data task hands them to the
  // application); a download to a file has none here (nobody reads them, and copying them was a
  // cost of every small download).
  std::vector<Header> headers;
  // A download that asked for several connections and gets one: why ("the server does not serve
  // byte ranges", ...), for the owner's log. Empty otherwise.
  std::string single_connection_reason;
};

// Bytes are in the partial file (written with write(2), not yet synced). Coalesced.
struct Progress {
  TaskId id;
  std::uint64_t bytes_written = 0;  // bytes written by this attempt since the last Progress
  std::uint64_t total_written = 0;  // size of the partial file now (segmented: bytes in its segments)
  std::optional<std::uint64_t> expected_total;
  Segments segments;  // a segmented download's ranges, as far as total_written counts them
};

// A transient failure happened; the engine will retry (a Waiting with retry-backoff follows).
struct Retrying {
  TaskId id;
  Error error;
  int attempt = 0;
};

// The job is over. The engine has closed the partial file. On success (`error` empty) the file
// holds the whole body (its bytes are written, not synced: the owner syncs and renames it).
// A permanent HTTP error (a 4xx other than 408/429, or a 3xx that was not followed) is still a
// "complete" download whose body is in the file (as URLSession does): error is http-error and
// http_status tells; the owner may deliver the file.
// A resume whose server answered 416 "bytes */N" with N == resume_offset found the file already
// complete: success, with http_status 200 (the file holds the whole entity).
// After stop(), `error` is cancelled and total_written tells how many bytes are in the file.
// resumable: cancelled or resource-timeout with bytes and validators, or no-space (always).
struct Finished {
  TaskId id;
  std::optional<Error> error;
  long http_status = 0;
  std::uint64_t total_written = 0;
  std::optional<std::uint64_t> expected_total;
  Validators validators;
  Segments segments;  // a segmented download's ranges (total_written is their bytesFilled)
  std::string content_type;
  bool resumable = false;  // error left a partial file that Range + If-Range can continue
  // Downloads kept in memory (DownloadJob::in_memory): the body's bytes, total_written of them.
  std::optional<std::string> memory_body;
  // Uploads only. resumable (uploads): cancelled or resource-timeout with an upload URL known,
  // which a new job continues (ResumableUpload::upload_url + known_offset).
  struct Upload {
    std::uint64_t total_sent = 0;                // body bytes the server has (as far as we know)
    std::optional<std::uint64_t> body_length;    // the body's length when known
    std::filesystem::path response_body_path;    // the answer's body (may be empty: 0 bytes)
    std::uint64_t response_body_bytes = 0;       // bytes in that file
    bool response_body_truncated = false;        // the answer was longer than the cap
    std::string final_url;                       // the URL that gave the final answer (after redirects)
    std::string upload_url;                      // resumable uploads: the upload resource, if known
    std::uint64_t confirmed_offset = 0;          // the server's last Upload-Offset we saw
    // A HEAD (resumable) found the upload already complete: the answer delivered is that HEAD's
    // (the server's answer to the request that completed it was lost).
    bool completed_before = false;
  };
  std::optional<Upload> upload;
  // What this job's attempts cost, oldest first (at most kMaxMetricsAttempts: the last ones).
  // Attempts of earlier jobs of the same task (before a stop or a restart) are not in it.
  TaskMetrics metrics;
};

// Finished::metrics keeps at most this many attempts (a task retried for days makes thousands).
inline constexpr std::size_t kMaxMetricsAttempts = 32;

// Body bytes were handed to the connection. Coalesced like Progress (at most every
// progress_interval, flushed before Retrying and Finished), so bytes_sent adds up to total_sent
// within one attempt. total_sent is the byte position in the body: a resumed upload starts at the
// server's offset (it may go down after a cut: the server kept fewer bytes than we sent).
struct SendProgress {
  TaskId id;
  std::uint64_t bytes_sent = 0;
  std::uint64_t total_sent = 0;
  std::optional<std::uint64_t> total_expected;
};

// A resumable upload's resource URL (absolute, resolved against the request) became known: from
// the IETF 104 interim answer or the tus 201. Sent at once, before any more body is trusted to
// the server, so the owner can persist it and resume after a crash.
struct UploadResourceKnown {
  TaskId id;
  std::string upload_url;
};

// The next attempt sends the body from byte 0 again although bytes had been sent (no resumable
// protocol, no upload URL yet, or the server forgot the upload: 404/410 on HEAD/PATCH).
struct UploadRestarted {
  TaskId id;
  std::string reason;  // a sentence
};

// A segmented download stopped using one of its mirrors (HttpRequest::mirrors): it failed, or its
// file is not the same (another length or validator). The others go on; for the owner's log.
struct MirrorDropped {
  TaskId id;
  std::string url;
  std::string reason;  // a sentence
};

// RedirectPolicy::ask: the server redirected; the job holds until Engine::decideRedirect.
struct RedirectProposed {
  TaskId id;
  long status = 0;
  std::string location;    // absolute
  std::string new_method;  // what following would send (GET after 303, ...)
  bool keeps_body = false;
};

// Everything the engine reports, through Engine::Sink.
using Event = std::variant<Waiting, Responded, Progress, Retrying, Finished, SendProgress, UploadResourceKnown,
                           UploadRestarted, RedirectProposed, MirrorDropped>;

template <class... Alternatives>
TaskId taskOf(const std::variant<Alternatives...>& e) {
  return std::visit([](const auto& x) { return x.id; }, e);
}


}  // namespace ferry::engine
