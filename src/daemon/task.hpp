#pragma once
// A task (download or upload) as ferryd tracks it: its phase (task_lifecycle.hpp), changed only by
// TaskManager::transition. Everything here lives on the IPC thread; the store gets copies
// (TaskRow) through the writer.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "daemon/interned_text.hpp"
#include "daemon/task_lifecycle.hpp"
#include "engine/transfer.hpp"
#include "protocol/messages.hpp"
#include "store/records.hpp"
#include "store/row_codec.hpp"

namespace ferry::daemon {

// What only an upload has: what the store keeps (store::StoredUpload, its `upload_json`: the
// body, the file's identity when the task was made, the resumable mode, the redirect policy, the
// upload resource once the server named it, a stream's length), and what lives only while the
// task runs. A streamed upload has no body file: the application hands a new stream for every
// attempt through needNewBodyStream (task_manager_streams.cpp); never resumable.
struct UploadSpec : store::StoredUpload {
  // Not stored: the answer being delivered (headers arrive before Finished).
  std::vector<engine::Header> response_headers;
  std::uint64_t sent = 0;

  const store::StoredUpload& stored() const { return *this; }
};

// create_upload's `resumable` (none, ietf, tus) and `redirects` (follow, refuse, ask).
using model::redirectPolicyFromName;
using model::redirectPolicyName;
using model::resumableModeFromName;

// What a task waiting in ferryd (queued, suspended, held) does not need: its outcome, its resume
// validators, its description and the state of an engine run. Behind one pointer in Task, made on
// the first write: ferryd keeps every task in memory, and with 1,000,000 queued tasks these fields
// inline cost about a quarter of a gigabyte (docs/architecture.md "How ferryd holds its tasks").
struct TaskDetails {
  std::string description;
  std::string result_path;
  long http_status = 0;
  std::optional<Error> error;
  // What the engine's jobs of this task cost (their Finished::metrics, oldest first, at most
  // engine::kMaxMetricsAttempts attempts), for didComplete and TaskInfo; none until the task
  // reached the engine. Restored from a stored didComplete that carries them.
  std::unique_ptr<model::TaskMetrics> metrics;
  engine::Validators validators;
  std::function<void(Result<std::string>)> on_resume_data;  // reply for cancel_with_resume_data

  // An engine run: checkpointing (see TaskManager::checkpoint) and stall detection.
  std::uint64_t retries = 0;  // the engine's Retrying since this ferryd started (TaskInfo::retries)
  std::uint64_t generation = 0;  // bumped whenever the file restarts from zero
  // When the engine last reported bytes moving: a task quiet for a while when the default route
  // moves is restarted at once (TaskManager::applyDeviceState).
  std::chrono::steady_clock::time_point last_progress{};
  std::chrono::steady_clock::time_point last_checkpoint{};
  bool checkpoint_in_flight = false;
  bool resumed_from_offset = false;  // this engine run started at durable > 0: report didResumeAtOffset
  bool retrying_after_network_error = false;  // its last failed attempt could not reach the server

  // A segmented download (model/segments.hpp): the ranges written (the engine's last report), and
  // those of the last checkpoint as stored ('' : not segmented; `durable` is their sum).
  engine::Segments segments;
  std::string durable_segments;
};

struct Task {
  std::uint64_t id = 0;
  std::uint64_t group = 0;  // its download group's id (task_group.hpp); 0: none
  SessionName session;
  engine::HttpRequest request;
  std::string destination;  // absolute, or empty: delivered/ in the state directory
  // Assigned only by TaskManager::transition. stop_intent: while stopping, why.
  Phase phase = Phase::created;
  StopIntent stop_intent = StopIntent::none;
  TaskState stored_state = TaskState::suspended;  // what the row said (restore reads it)
  int suspend_count = 0;
  InternedText waiting_for;  // from the engine's Waiting, "suspended", why it is held, or ""
  std::int64_t created_at = 0;
  std::int64_t resource_deadline = 0;
  // Priority, discretionary, begin date: given at creation, stored in the row's request_json
  // under "schedule" (no schema change: the store does not interpret that column).
  engine::Scheduling scheduling;

  // Bytes: written by the engine (maybe not synced) and durable (synced and committed).
  std::uint64_t written = 0;
  std::uint64_t durable = 0;
  std::optional<std::uint64_t> expected_total;

  // Read: details() (the defaults when none were written); written: editDetails().
  const TaskDetails& details() const { return details_ ? *details_ : kNoDetails; }
  TaskDetails& editDetails() {
    if (!details_) details_ = std::make_unique<TaskDetails>();
    return *details_;
  }

  // The partial file of a download, relative to the state directory; derived from the id (never
  // created for an upload), so not kept per task.
  std::string partial() const { return "partial/" + std::to_string(id) + ".part"; }

  // What the engine's jobs of this task cost (TaskDetails::metrics).
  void addMetrics(const model::TaskMetrics& more);
  std::optional<model::TaskMetrics> metricsCopy() const {
    const auto& m = details().metrics;
    return m ? std::optional<model::TaskMetrics>(*m) : std::nullopt;
  }

  // Set: an upload task. Behind a pointer because most tasks are downloads and ferryd keeps every
  // task in memory (100,000 queued tasks: the inline spec cost 18 MB).
  std::unique_ptr<UploadSpec> upload;
  bool isUpload() const { return upload != nullptr; }
  TaskState state() const { return wireState(phase, stop_intent, suspend_count); }

  store::TaskRow toRow() const;
  protocol::TaskInfo toInfo() const;
  // The row's strings are moved out of it (start-up reads every row once).
  static Result<Task> fromRow(store::TaskRow&& row);

 private:
  static const TaskDetails kNoDetails;
  std::unique_ptr<TaskDetails> details_;
};

// Now, in seconds since the epoch: when a task, a group or a resume token was made.
std::int64_t unixSecondsNow();

// didComplete's error for a task the application cancelled.
Error cancelledError(const Task& t, bool resume_data_asked);

}  // namespace ferry::daemon
