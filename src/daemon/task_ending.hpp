#pragma once
// One end of a task as it is committed (TaskManager's task_ending.cpp): the final row and the
// events that tell the application, in one transaction. Private to TaskManager's files.

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "daemon/task_manager.hpp"

namespace ferry::daemon {

// A delivered download's file on its way into place: its bytes synced, renamed to the destination
// (or into delivered/ when that fails), the directory synced. Lives as long as its ending, so a
// retried ending does not move the file again.
struct TaskManager::FileDelivery {
  std::filesystem::path partial, wanted, fallback;
  std::string location;              // where the file is, once renamed
  std::optional<Error> move_error;   // it could not go where it was wanted (it is in delivered/)
  bool directory_synced = false;     // the rename is durable
};

struct TaskManager::TaskEnding {
  std::uint64_t id = 0;
  Phase final_phase = Phase::failed;
  std::optional<Error> error;  // the task's error once ended
  // Idempotent: it runs again when its commit failed for want of space. It fills `events` with
  // what it stored (their payloads may name what only it learnt: where the file went, the blob).
  store::Writer::Work work;
  // A download's delivery: the file part (done for a group of endings at once by
  // submitDeliveries) and the rows (`record`); `work` is both, for an ending on its own.
  std::shared_ptr<FileDelivery> delivery;
  store::Writer::Work record;
  std::shared_ptr<std::vector<store::EventRow>> events = std::make_shared<std::vector<store::EventRow>>();
  // Set by the work when the bytes themselves could not be made durable (fdatasync failed).
  std::shared_ptr<bool> bytes_untrusted = std::make_shared<bool>(false);
  std::function<void(Task&)> on_committed;                 // in-memory effects, before the final phase
  std::function<void(Task&, const Result<void>&)> answer;  // once: at the first failure, or at success
  int attempts = 0;
};

}  // namespace ferry::daemon
