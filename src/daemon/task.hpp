#pragma once
// A task (download or upload) as ferryd tracks it: one state enum, changed only by TaskManager.
// Everything here lives on the IPC thread; the store gets copies (TaskRow) through the writer.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "engine/transfer.hpp"
#include "protocol/messages.hpp"
#include "store/records.hpp"

namespace ferry::daemon {

enum class TaskState {
  suspended,   // not in the engine; suspend_count > 0
  running,     // in the engine (transferring, or waiting for a slot or a retry)
  finalizing,  // the engine finished; the file is being synced and moved into place
  completed,   // file delivered (even with an HTTP error status: its body is the file)
  failed,      // ended without a file; error says why
  cancelled,   // cancelled by the application
};

std::string_view stateName(TaskState s);
std::optional<TaskState> stateFromName(std::string_view name);
inline bool isFinal(TaskState s) {
  return s == TaskState::completed || s == TaskState::failed || s == TaskState::cancelled;
}

// What the engine's next Finished(cancelled) means: why we stopped the job.
enum class StopIntent { none, suspend, cancel, cancel_with_resume_data, shutdown };

// What only an upload has. Stored as TaskRow::upload_json.
struct UploadSpec {
  std::filesystem::path body;          // absolute: the application's file, or our spool copy
  bool spooled = false;                // body is in the state directory's spool/: ours to remove
  engine::FileIdentity identity;       // of `body` when the task was made: a change is an error
  engine::ResumableMode mode = engine::ResumableMode::ietf;
  engine::RedirectPolicy redirects = engine::RedirectPolicy::follow;
  std::string upload_url;              // the resumable upload's resource, once the server named it
  std::uint64_t confirmed_offset = 0;  // the server's last Upload-Offset we saw
  // A streamed upload: no file; the application hands a new stream for every attempt through
  // needNewBodyStream (task_manager_streams.cpp). `body` is empty; never resumable.
  bool stream = false;
  std::optional<std::uint64_t> stream_length;  // every stream's length; none: chunked

  // Not stored: the answer being delivered (headers arrive before Finished).
  std::vector<engine::Header> response_headers;
  std::uint64_t sent = 0;

  nlohmann::json toJson() const;
  static Result<UploadSpec> fromJson(const nlohmann::json& j);
};

std::optional<engine::ResumableMode> resumableModeFromName(std::string_view name);
// create_upload's `redirects`: follow, refuse, ask (the attached application decides).
std::optional<engine::RedirectPolicy> redirectPolicyFromName(std::string_view name);
std::string_view redirectPolicyName(engine::RedirectPolicy policy);

struct Task {
  std::uint64_t id = 0;
  std::string session;
  engine::HttpRequest request;
  std::string destination;  // absolute, or empty: delivered/ in the state directory
  std::string description;
  std::string partial;      // relative to the state directory
  TaskState state = TaskState::suspended;
  std::string waiting_for;  // from the engine's Waiting, "suspended", or ""
  int suspend_count = 0;
  std::int64_t created_at = 0;
  std::int64_t resource_deadline = 0;
  // Priority, discretionary, begin date: given at creation, stored in the row's request_json
  // under "schedule" (no schema change: the store does not interpret that column).
  engine::Scheduling scheduling;

  // Bytes: written by the engine (maybe not synced) and durable (synced and committed).
  std::uint64_t written = 0;
  std::uint64_t durable = 0;
  std::optional<std::uint64_t> expected_total;
  engine::Validators validators;

  // Checkpointing (see TaskManager::checkpoint).
  bool checkpoint_in_flight = false;
  std::chrono::steady_clock::time_point last_checkpoint{};
  std::uint64_t generation = 0;  // bumped whenever the file restarts from zero
  bool in_engine = false;
  bool resumed_from_offset = false;  // this engine run started at durable > 0: report didResumeAtOffset
  StopIntent stop_intent = StopIntent::none;
  std::function<void(Result<std::string>)> on_resume_data;  // reply for cancel_with_resume_data
  bool restart_after_stop = false;  // resumed while the stop was still in flight

  long http_status = 0;
  std::optional<Error> error;
  std::string result_path;

  // Set: an upload task. Behind a pointer because most tasks are downloads and ferryd keeps every
  // task in memory (100,000 queued tasks: the inline spec cost 18 MB).
  std::unique_ptr<UploadSpec> upload;
  bool isUpload() const { return upload != nullptr; }

  store::TaskRow toRow() const;
  protocol::TaskInfo toInfo() const;
  static Result<Task> fromRow(const store::TaskRow& row);
};

}  // namespace ferry::daemon
