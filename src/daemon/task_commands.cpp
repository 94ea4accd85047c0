// TaskManager's commands on a task: suspend, resume, cancel (with or without resume data).
// As in URLSession, suspend and resume nest (suspend_count) and resuming a running task does
// nothing. A task the engine has is stopped there first; what its Finished means is the
// StopIntent it was stopped with (task_engine_events.cpp, onStopped).

#include "daemon/task_manager.hpp"

namespace ferry::daemon {
namespace {

std::string taskIs(const Task& t, std::string_view what) {
  return "task " + std::to_string(t.id) + " is " + std::string(what);
}

// The phases where a command cannot touch the task any more (or not yet).
std::optional<Error> unreachable(const Task& t, std::string_view verb) {
  if (t.phase == Phase::created) return Error(errc::invalid_state, taskIs(t, "still being created; try again"));
  if (t.phase == Phase::ending || isFinal(t.phase))
    return Error(errc::invalid_state, taskIs(t, stateName(t.state())) + "; it cannot be " + std::string(verb));
  return std::nullopt;
}

bool beingCancelled(const Task& t) {
  return t.phase == Phase::stopping &&
         (t.stop_intent == StopIntent::cancel || t.stop_intent == StopIntent::cancel_with_resume_data);
}

}  // namespace

Result<protocol::TaskInfo> TaskManager::suspend(std::uint64_t id, const std::optional<std::string>& scope) {
  auto found = findScoped(id, scope);
  if (!found) return tl::unexpected(found.error());
  auto& t = **found;
  if (auto refused = unreachable(t, "suspended")) return tl::unexpected(*refused);
  if (++t.suspend_count == 1) {
    switch (t.phase) {
      case Phase::queued:
      case Phase::held:
      case Phase::awaiting_body:  // a streamed upload asks for a new stream when resumed
      case Phase::restarting:
        transition(t, Phase::suspended);
        break;
      case Phase::in_engine:
        stopInEngine(t, StopIntent::suspend);
        break;
      case Phase::stopping:
        // A cancel stays a cancel; a restart or a hold becomes a suspend.
        if (t.stop_intent == StopIntent::resume || t.stop_intent == StopIntent::hold) stopInEngine(t, StopIntent::suspend);
        break;
      default:
        break;
    }
  }
  persist(t);
  return t.toInfo();
}

Result<protocol::TaskInfo> TaskManager::resume(std::uint64_t id, const std::optional<std::string>& scope) {
  auto found = findScoped(id, scope);
  if (!found) return tl::unexpected(found.error());
  auto& t = **found;
  // Not while ending either: its final row is being committed, and a row written now would undo it.
  if (isFinal(t.phase) || t.phase == Phase::ending)
    return fail(errc::invalid_state, taskIs(t, stateName(t.state())) + "; it cannot be resumed");
  if (t.suspend_count == 0) return t.toInfo();  // as URLSession: resuming a running task does nothing
  if (--t.suspend_count == 0) {
    if (t.phase == Phase::suspended) t.details().checkpoint_in_flight ? restartOnceDurable(t) : startEngine(t);
    // The suspend's stop is still in flight: restart once it lands.
    else if (t.phase == Phase::stopping && t.stop_intent == StopIntent::suspend) stopInEngine(t, StopIntent::resume);
  }
  persist(t);
  return t.toInfo();
}

Result<protocol::TaskInfo> TaskManager::cancel(std::uint64_t id, const std::optional<std::string>& scope) {
  auto found = findScoped(id, scope);
  if (!found) return tl::unexpected(found.error());
  auto& t = **found;
  if (auto refused = unreachable(t, "cancelled")) return tl::unexpected(*refused);
  if (groupCommitting(t.group)) return fail(errc::invalid_state, taskIs(t, "being put in place with its group; it cannot be cancelled"));
  if (beingCancelled(t)) return t.toInfo();
  if (holdsEngineJob(t.phase)) stopInEngine(t, StopIntent::cancel);
  else endTask(t, Phase::cancelled, cancelledError(t, false), false);
  return t.toInfo();
}

void TaskManager::cancelWithResumeData(std::uint64_t id, const std::optional<std::string>& scope, ResumeDataReply reply) {
  auto found = findScoped(id, scope);
  if (!found) return reply(tl::unexpected(found.error()));
  auto& t = **found;
  if (auto refused = unreachable(t, "cancelled")) return reply(tl::unexpected(*refused));
  if (groupCommitting(t.group))
    return reply(fail(errc::invalid_state, taskIs(t, "being put in place with its group; it cannot be cancelled")));
  if (beingCancelled(t)) return reply(fail(errc::invalid_state, taskIs(t, "being cancelled already")));
  if (holdsEngineJob(t.phase)) {
    t.editDetails().on_resume_data = std::move(reply);
    stopInEngine(t, StopIntent::cancel_with_resume_data);
  } else {
    endTask(t, Phase::cancelled, cancelledError(t, true), true, std::move(reply));
  }
}

void TaskManager::cancelAll(const std::string& session) {
  // Groups first: their members then end as a cancelled group's, not as failures.
  for (auto& [id, g] : groups_)
    if (g.session == session && g.state == GroupState::running) (void)cancelGroup(id, std::nullopt);
  for (auto& [id, t] : tasks_)
    if (t.session == session && !unreachable(t, "cancelled")) (void)cancel(id, std::nullopt);
}

}  // namespace ferry::daemon
