#include "daemon/task_lifecycle.hpp"

#include <array>
#include <initializer_list>
#include <utility>

namespace ferry::daemon {
namespace {

constexpr std::array<std::pair<TaskState, std::string_view>, 6> kStateNames{{
    {TaskState::suspended, "suspended"},
    {TaskState::running, "running"},
    {TaskState::finalizing, "finalizing"},
    {TaskState::completed, "completed"},
    {TaskState::failed, "failed"},
    {TaskState::cancelled, "cancelled"},
}};

constexpr std::array<std::pair<Phase, std::string_view>, 13> kPhaseNames{{
    {Phase::created, "created"},
    {Phase::suspended, "suspended"},
    {Phase::queued, "queued"},
    {Phase::held, "held"},
    {Phase::awaiting_body, "awaiting_body"},
    {Phase::in_engine, "in_engine"},
    {Phase::stopping, "stopping"},
    {Phase::restarting, "restarting"},
    {Phase::ending, "ending"},
    {Phase::awaiting_group, "awaiting_group"},
    {Phase::completed, "completed"},
    {Phase::failed, "failed"},
    {Phase::cancelled, "cancelled"},
}};

// Where the task may go to run: straight to the engine, into the admission queue, (a streamed
// upload) to wait for its body stream, or to wait for the machine.
constexpr std::initializer_list<Phase> kRunPhases = {Phase::queued, Phase::in_engine, Phase::awaiting_body, Phase::held};

bool oneOf(Phase p, std::initializer_list<Phase> set) {
  for (auto q : set)
    if (q == p) return true;
  return false;
}

}  // namespace

std::string_view stateName(TaskState s) {
  for (const auto& [state, name] : kStateNames)
    if (state == s) return name;
  return "unknown";
}

std::optional<TaskState> stateFromName(std::string_view name) {
  for (const auto& [state, n] : kStateNames)
    if (n == name) return state;
  return std::nullopt;
}

std::string_view phaseName(Phase p) {
  for (const auto& [phase, name] : kPhaseNames)
    if (phase == p) return name;
  return "unknown";
}

bool isFinal(Phase p) { return p == Phase::completed || p == Phase::failed || p == Phase::cancelled; }

bool isLegalTransition(Phase from, Phase to) {
  switch (from) {
    case Phase::created:  // where creation or the stored row puts it
      return to == Phase::suspended || oneOf(to, kRunPhases) || to == Phase::ending || to == Phase::awaiting_group ||
             isFinal(to);
    case Phase::suspended:  // resumed (restarting: its suspend's checkpoint is still being committed), or cancelled
      return oneOf(to, kRunPhases) || to == Phase::restarting || to == Phase::ending;
    case Phase::queued:  // admitted, held by the machine, suspended or cancelled while waiting
      return to == Phase::in_engine || to == Phase::held || to == Phase::suspended || to == Phase::ending;
    case Phase::held:  // the machine allows it again, or suspended / cancelled meanwhile
      return (oneOf(to, kRunPhases) && to != Phase::held) || to == Phase::restarting || to == Phase::suspended ||
             to == Phase::ending;
    case Phase::awaiting_body:  // the stream came, held by the machine, or suspended / cancelled / failed meanwhile
      return to == Phase::in_engine || to == Phase::held || to == Phase::suspended || to == Phase::ending;
    case Phase::in_engine:  // stopped, finished, or (a stream) in need of a new body
      return to == Phase::stopping || to == Phase::ending || to == Phase::awaiting_body;
    case Phase::stopping:  // the intent changes (stopping again), or the stop lands
      return to == Phase::stopping || to == Phase::suspended || to == Phase::restarting || to == Phase::held ||
             to == Phase::ending;
    case Phase::restarting:  // back to running once durable, or suspended / cancelled meanwhile
      return oneOf(to, kRunPhases) || to == Phase::suspended || to == Phase::ending;
    case Phase::ending:  // committed (a group's member: its bytes wait for the group); or a delivery whose bytes were not trusted runs again
      return isFinal(to) || to == Phase::ending || to == Phase::awaiting_group || oneOf(to, kRunPhases);
    case Phase::awaiting_group:  // its group is put in place, or fails or is cancelled (its file goes)
      return to == Phase::completed || to == Phase::ending;
    case Phase::completed:
    case Phase::failed:
    case Phase::cancelled:
      return false;
  }
  return false;
}

TaskState wireState(Phase p, StopIntent intent, int suspend_count) {
  switch (p) {
    case Phase::created:
      return suspend_count > 0 ? TaskState::suspended : TaskState::running;
    case Phase::suspended:
      return TaskState::suspended;
    case Phase::stopping:
      return intent == StopIntent::suspend ? TaskState::suspended : TaskState::running;
    case Phase::queued:
    case Phase::held:
    case Phase::awaiting_body:
    case Phase::in_engine:
    case Phase::restarting:
      return TaskState::running;
    case Phase::ending:
    case Phase::awaiting_group:
      return TaskState::finalizing;
    case Phase::completed:
      return TaskState::completed;
    case Phase::failed:
      return TaskState::failed;
    case Phase::cancelled:
      return TaskState::cancelled;
  }
  return TaskState::running;
}

std::optional<Phase> finalPhaseOf(TaskState s) {
  switch (s) {
    case TaskState::completed:
      return Phase::completed;
    case TaskState::failed:
      return Phase::failed;
    case TaskState::cancelled:
      return Phase::cancelled;
    default:
      return std::nullopt;
  }
}

}  // namespace ferry::daemon
