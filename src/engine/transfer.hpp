#pragma once
// What the engine is asked to do (a TransferJob) and what it reports back (EngineEvent).
// Plain values: no IPC, no SQLite. The daemon and in-process sessions both speak this.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "common/error.hpp"

namespace ferry::engine {

using TaskId = std::uint64_t;
using Clock = std::chrono::steady_clock;
using WallClock = std::chrono::system_clock;

struct Header {
  std::string name;
  std::string value;
  bool operator==(const Header&) const = default;
};

// An HTTP request as an application describes it.
struct HttpRequest {
  std::string url;
  std::string method = "GET";
  std::vector<Header> headers;
  // A transfer that moves fewer than 1 byte/s for this long is a stall (a transient failure).
  // Never a whole-transfer timeout: a large download may take hours.
  std::chrono::seconds stall_timeout{60};
  std::chrono::seconds connect_timeout{30};
};

// Validators of the entity whose bytes are in a partial file, for If-Range.
struct Validators {
  std::string etag;           // strong ETag only ("W/..." are dropped: they cannot guard a Range)
  std::string last_modified;  // HTTP-date
  bool empty() const { return etag.empty() && last_modified.empty(); }
  bool operator==(const Validators&) const = default;
};

struct RetryPolicy {
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{60000};
  // After this moment no further retry is made and the task fails with resource-timeout.
  WallClock::time_point resource_deadline = WallClock::now() + std::chrono::hours(24 * 7);
};

struct DownloadJob {
  TaskId id = 0;
  std::string group;  // scheduling group (a session): GroupLimits apply per group
  HttpRequest request;
  std::filesystem::path partial_path;  // the engine creates/opens and writes this file
  std::uint64_t resume_offset = 0;     // trusted bytes already in partial_path (file is cut to this)
  Validators validators;               // of those bytes; required for a Range request when offset > 0
  RetryPolicy retry;
  std::uint64_t max_bytes_per_second = 0;  // 0: unlimited
};

struct GroupLimits {
  int max_concurrent = 6;  // transfers running at once in the group
  int max_per_host = 4;    // transfers running at once to one host (scheme://host:port) in the group
};

struct EngineOptions {
  int max_total_concurrent = 64;                          // across all groups
  std::chrono::milliseconds progress_interval{100};       // coalescing: at most 10 progress/s per task
  long buffer_size = 512 * 1024;                          // CURLOPT_BUFFERSIZE
  std::filesystem::path ca_bundle;  // PEM file of CAs to trust instead of the system's; empty: system
};

// ---- Events, posted by the transfer thread through the sink, in order per task ----

// The task is not transferring, and why: "queued", "concurrency-limit", "connection-limit",
// "retry-backoff 30s" (seconds until the next attempt).
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
};

// Bytes are in the partial file (written with write(2), not yet synced). Coalesced.
struct Progress {
  TaskId id;
  std::uint64_t bytes_written = 0;  // bytes written by this attempt since the last Progress
  std::uint64_t total_written = 0;  // size of the partial file now
  std::optional<std::uint64_t> expected_total;
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
  std::string content_type;
  bool resumable = false;  // error left a partial file that Range + If-Range can continue
};

using EngineEvent = std::variant<Waiting, Responded, Progress, Retrying, Finished>;

inline TaskId taskOf(const EngineEvent& e) {
  return std::visit([](const auto& x) { return x.id; }, e);
}

}  // namespace ferry::engine
