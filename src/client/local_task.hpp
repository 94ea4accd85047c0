#pragma once
// One task of an in-process session (local_backend.hpp): what it asks for, where its bytes are,
// and where it is in its life. Guarded by LocalBackend's mutex.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "model/http_request.hpp"
#include "model/scheduling.hpp"
#include "model/task_metrics.hpp"
#include "model/upload_options.hpp"
#include "model/validators.hpp"

namespace ferry {

enum class LocalKind { download, data, upload };

// suspended → running ⇄ stopping → completed | failed | cancelled. The engine has the task while
// it is running or stopping; `stop` says what its Finished then means.
enum class LocalState { suspended, running, stopping, completed, failed, cancelled };
enum class LocalStop { none, suspend, resume, cancel, cancel_with_resume_data };

struct LocalTask {
  std::uint64_t id = 0;
  LocalKind kind = LocalKind::download;
  model::HttpRequest request;
  std::string destination;  // downloads: where the finished file goes (empty: a temporary file)
  std::string description;
  model::Scheduling scheduling;
  std::int64_t created_at = 0;

  LocalState state = LocalState::suspended;
  LocalStop stop = LocalStop::none;
  int suspend_count = 1;
  std::string waiting_for = "suspended";
  bool engine_has_job = false;  // started in the engine and its Finished not yet seen

  // Downloads and data tasks: the body's file (a data task's body is in memory instead: in the
  // engine while it runs the task, in `body` between its jobs) and what is in it.
  std::filesystem::path partial;
  std::string body;
  std::uint64_t written = 0;
  std::optional<std::uint64_t> expected_total;
  model::Validators validators;
  model::Segments segments;  // a segmented download's ranges (written is their sum)
  bool report_resume = false;  // the next Responded is a resume: didResumeAtOffset
  long http_status = 0;
  std::optional<Error> error;
  model::TaskMetrics metrics;  // what its engine jobs' attempts cost, for didComplete and allTasks

  // Uploads.
  std::filesystem::path body_file;  // the file the body is read from
  bool owns_body_file = false;      // a copy of the application's bytes: removed at the end
  bool stream = false;              // the body comes from the delegate's needNewBodyStream
  std::optional<std::uint64_t> stream_length;
  std::filesystem::path fifo;       // the pipe the delegate's stream is pumped into
  UniqueFd stream_read_end;         // held from needNewBodyStream until the engine gets it
  bool stream_ended = false;        // the pump reported the stream's end
  std::filesystem::path response_body;
  model::RedirectPolicy redirects = model::RedirectPolicy::follow;
  model::ResumableMode resumable = model::ResumableMode::none;
  std::string upload_url;
  std::uint64_t sent = 0;
  std::optional<std::uint64_t> body_length;

  // cancelByProducingResumeData waits here until the engine has stopped the task.
  std::shared_ptr<std::promise<Result<std::string>>> resume_data;

  bool isUpload() const { return kind == LocalKind::upload; }
  bool inEngine() const { return state == LocalState::running || state == LocalState::stopping; }
  bool ended() const {
    return state == LocalState::completed || state == LocalState::failed || state == LocalState::cancelled;
  }
};

}  // namespace ferry
