#pragma once
// One end of a task as it is committed (TaskManager's task_ending.cpp): the final row and the
// events that tell the application, in one transaction. Private to TaskManager's files.

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "daemon/task_manager.hpp"

namespace ferry::daemon {

struct TaskManager::TaskEnding {
  std::uint64_t id = 0;
  Phase final_phase = Phase::failed;
  std::optional<Error> error;  // the task's error once ended
  // Idempotent: it runs again when its commit failed for want of space. It fills `events` with
  // what it stored (their payloads may name what only it learnt: where the file went, the blob).
  store::Writer::Work work;
  std::shared_ptr<std::vector<store::EventRow>> events = std::make_shared<std::vector<store::EventRow>>();
  // Set by the work when the bytes themselves could not be made durable (fdatasync failed).
  std::shared_ptr<bool> bytes_untrusted = std::make_shared<bool>(false);
  std::function<void(Task&)> on_committed;                 // in-memory effects, before the final phase
  std::function<void(Task&, const Result<void>&)> answer;  // once: at the first failure, or at success
  int attempts = 0;
};

}  // namespace ferry::daemon
