#pragma once
// One job (download or upload) as the transfer thread tracks it: its state, its partial file and what is
// known about the bytes in it. Only the transfer thread touches a Job.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/unique_fd.hpp"
#include "engine/attempt.hpp"
#include "engine/transfer.hpp"
#include "engine/upload_state.hpp"

namespace ferry::engine {

using EventSink = std::function<void(Event)>;

// Like curl's multi states, one enum changed in one place (Engine::Impl).
enum class JobState {
  queued,       // waiting for a slot (in the FIFO)
  running,      // an attempt (curl easy handle) is in the multi handle
  backing_off,  // a transient failure happened; waiting for retry_at
  held,         // an upload's redirect waits for Engine::decideRedirect (RedirectPolicy::ask)
  scheduled,    // held until its begin date (retry_at is the moment on the steady clock)
};

struct Job {
  // A download's job. For an upload, only the fields both share (id, group, request, retry,
  // max_bytes_per_second), so that scheduling, back-off and messages treat both alike; the rest
  // is in `upload`.
  DownloadJob spec;
  std::unique_ptr<UploadState> upload;  // set for uploads only
  bool upload_next_request = false;     // the next start continues the current attempt
  std::uint64_t sequence = 0;  // arrival order: FIFO among queued jobs of the same priority
  std::string host_key;        // scheme://host:port
  JobState state = JobState::queued;
  std::string waiting_reason;  // the last Waiting sent, so that only changes are reported

  // The partial file (opened at the first attempt) and what is known about its bytes.
  UniqueFd file;  // closed while backing off
  bool file_opened_before = false;
  std::uint64_t bytes_in_file = 0;
  Validators validators;  // of the entity whose bytes are in the file
  std::optional<std::uint64_t> expected_total;
  std::string content_type;
  long http_status = 0;
  bool next_attempt_from_zero = false;  // the server's answer showed that our bytes are useless

  int attempts = 0;                // attempts started, reported in Retrying
  int failures_without_bytes = 0;  // drives the back-off exponent; reset when an attempt made progress
  Clock::time_point retry_at{};

  std::uint64_t unreported_bytes = 0;  // written since the last Progress
  Clock::time_point last_progress{};

  std::unique_ptr<Attempt> attempt;  // while running
  // The speed limit the running attempt has (its share of the bandwidth limits and its own cap);
  // 0: none. Set before an attempt starts and whenever the shares change.
  std::uint64_t rate_limit = 0;

  // Records `count` new bytes and sends a Progress when progress_interval has passed since the last.
  void noteWritten(std::uint64_t count, std::chrono::milliseconds interval, const EventSink& sink) {
    unreported_bytes += count;
    const auto now = Clock::now();
    if (now - last_progress >= interval) flushProgress(sink, now);
  }

  // Sends the pending Progress, if any (before Retrying and Finished, so totals add up).
  void flushProgress(const EventSink& sink, Clock::time_point now = Clock::now()) {
    if (unreported_bytes == 0) return;
    if (upload) {
      upload->emit(SendProgress{spec.id, unreported_bytes, upload->total_sent, upload->body_length});
    } else {
      sink(Progress{spec.id, unreported_bytes, bytes_in_file, expected_total});
    }
    unreported_bytes = 0;
    last_progress = now;
  }
};

}  // namespace ferry::engine
