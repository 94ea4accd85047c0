#pragma once
// One job as the transfer thread tracks it: what every job has (what was asked, its state in the
// scheduler, its attempts and back-off, its progress), then the part only a download has (its
// partial file) or only an upload has (upload_part.hpp). Only the transfer thread touches a Job.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "common/unique_fd.hpp"
#include "engine/download_integrity.hpp"
#include "engine/attempt.hpp"
#include "engine/transfer.hpp"
#include "engine/upload_part.hpp"

namespace ferry::engine {

using EventSink = std::function<void(Event)>;

// Like curl's multi states, one enum changed in one place (Engine::Impl::changeState).
enum class JobState {
  queued,       // waiting for a slot (in the FIFO)
  running,      // an attempt (curl easy handle) is in the multi handle
  backing_off,  // a transient failure happened; waiting for retry_at
  held,         // an upload's redirect waits for Engine::decideRedirect (RedirectPolicy::ask)
  scheduled,    // held until its begin date (retry_at is the moment on the steady clock)
};

// What only a download has: the partial file (opened at the first attempt), or the body in
// memory, and what is known about its bytes.
struct DownloadPart {
  std::filesystem::path partial_path;
  std::uint64_t resume_offset = 0;  // bytes the owner trusts (DownloadJob::resume_offset)
  UniqueFd file;                    // closed while backing off
  bool file_opened_before = false;
  std::uint64_t bytes_in_file = 0;
  Validators validators;  // of the entity whose bytes are in the file
  std::optional<std::uint64_t> expected_total;
  bool next_attempt_from_zero = false;  // the server's answer showed that our bytes are useless
  bool follow_redirects = true;          // DownloadJob::follow_redirects
  // Set: there is no file; the body is here and bytes_in_file counts its bytes.
  std::optional<MemoryBody> memory;
  DownloadIntegrity integrity;  // the expected and announced digests, the running hashes
  // Set: a segmented download (segmented_attempt.hpp) whose file is expected_total bytes long and
  // holds these ranges; bytes_in_file is their bytesFilled.
  Segments segments;
  // HttpRequest::mirrors, with why each was dropped ("" : still used).
  struct Mirror {
    std::string url;
    std::string dropped;
  };
  std::vector<Mirror> mirrors;
  std::string own_url_dropped;  // why the request's own URL is no longer used ("" : it is); download_sources.hpp
  bool segments_refused = false;  // the server showed it cannot serve them: one connection from now
};

struct Job {
  // ---- what was asked: the fields DownloadJob and UploadJob share ----
  TaskId id = 0;
  std::string group;
  HttpRequest request;
  RetryPolicy retry;
  std::uint64_t max_bytes_per_second = 0;
  Scheduling scheduling;
  TransportSettings transport;

  // ---- where the scheduler has it ----
  std::uint64_t sequence = 0;  // arrival order: FIFO among queued jobs of the same priority
  std::string host_key;        // scheme://host:port
  JobState state = JobState::queued;
  std::string waiting_reason;  // the last Waiting sent, so that only changes are reported

  // ---- attempts ----
  int attempts = 0;                // attempts started, reported in Retrying
  int failures_without_bytes = 0;  // drives the back-off exponent; reset when an attempt made progress
  Clock::time_point retry_at{};
  // The speed limit the running attempt has (its share of the bandwidth limits and its own cap);
  // 0: none. Set before an attempt starts and whenever the shares change.
  std::uint64_t rate_limit = 0;
  // What the attempts cost (Finished::metrics), and the attempt (its number in `attempts`) whose
  // entry is the last: an upload's next request of the same attempt is merged into it.
  TaskMetrics metrics;
  int metrics_attempt = 0;

  // ---- the answer delivered in Responded ----
  long http_status = 0;
  std::string content_type;

  // ---- progress (Progress for a download, SendProgress for an upload) ----
  std::uint64_t unreported_bytes = 0;  // written (sent) since the last one
  Clock::time_point last_progress{};

  std::variant<DownloadPart, UploadPart> part;
  // Declared after everything it touches: members go in reverse order, and a running attempt's
  // destructor still flushes its writes into the job (progress, part) when the engine is
  // destroyed with the job running.
  std::unique_ptr<Attempt> attempt;  // while running

  DownloadPart* download() { return std::get_if<DownloadPart>(&part); }
  const DownloadPart* download() const { return std::get_if<DownloadPart>(&part); }
  UploadPart* upload() { return std::get_if<UploadPart>(&part); }
  const UploadPart* upload() const { return std::get_if<UploadPart>(&part); }

  // Records `count` new bytes and sends a progress event when progress_interval has passed since the last.
  void noteWritten(std::uint64_t count, std::chrono::milliseconds interval, const EventSink& sink) {
    unreported_bytes += count;
    const auto now = Clock::now();
    if (now - last_progress >= interval) flushProgress(sink, now);
  }

  // Sends the pending progress event, if any (before Retrying and Finished, so totals add up).
  void flushProgress(const EventSink& sink, Clock::time_point now = Clock::now()) {
    if (unreported_bytes == 0) return;
    if (const UploadPart* up = upload()) {
      sink(SendProgress{id, unreported_bytes, up->total_sent, up->body_length});
    } else {
      const DownloadPart& down = std::get<DownloadPart>(part);
      sink(Progress{id, unreported_bytes, down.bytes_in_file, down.expected_total, down.segments});
    }
    unreported_bytes = 0;
    last_progress = now;
  }
};

// A job of `spec` (a DownloadJob or an UploadJob) with its shared fields taken, and `part`.
template <class Spec, class Part>
std::unique_ptr<Job> makeJob(Spec& spec, Part part) {
  auto job = std::make_unique<Job>();
  job->id = spec.id;
  job->group = std::move(spec.group);
  job->request = std::move(spec.request);
  job->retry = spec.retry;
  job->max_bytes_per_second = spec.max_bytes_per_second;
  job->scheduling = std::move(spec.scheduling);
  job->transport = std::move(spec.transport);
  job->part = std::move(part);
  return job;
}

}  // namespace ferry::engine
