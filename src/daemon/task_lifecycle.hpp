#pragma once
// Where a task is in its life (Phase), which moves are legal, and what the application and the
// store are told about each phase (TaskState). Pure: no I/O, no TaskManager; the moves themselves,
// with what happens on leaving and entering a phase, are TaskManager::transition
// (task_transitions.cpp), the only code that changes a task's phase.
//
// The usual path: created -> suspended -> queued -> in_engine -> ending -> completed. Stops go
// through `stopping` (the StopIntent says what the engine's Finished then means); a task resumed
// while its suspend was in flight goes through `restarting`; a streamed upload waits for each
// body stream in `awaiting_body`; one the machine's state keeps from running (no route to its
// server, a metered network it may not use, battery, sleep) waits in `held`. Every phase before `ending` may go to `ending` (cancel, or a
// failure); `ending` may go back to the engine when a delivery's fdatasync failed (its bytes are
// not trusted: they are fetched again). A download group's member ends its download in
// `awaiting_group` instead (ending -> awaiting_group): from there the group's commit completes it,
// or the group's failure cancels it (-> ending). docs/architecture.md, "The task lifecycle", draws it.

#include <cstdint>
#include <optional>
#include <string_view>

namespace ferry::daemon {

// What the store and the wire say about a task. Kept as the store's and protocol's vocabulary;
// a Phase maps onto one of these (wireState).
enum class TaskState : std::uint8_t {
  suspended,   // not in the engine; suspend_count > 0
  running,     // wants to run (in the engine, waiting for room, for a stream, or for a retry)
  finalizing,  // its end is being committed
  completed,   // file delivered (even with an HTTP error status: its body is the file)
  failed,      // ended without a file; error says why
  cancelled,   // cancelled by the application
};

std::string_view stateName(TaskState s);
std::optional<TaskState> stateFromName(std::string_view name);
inline bool isFinal(TaskState s) {
  return s == TaskState::completed || s == TaskState::failed || s == TaskState::cancelled;
}

enum class Phase : std::uint8_t {  // one byte each: ferryd keeps a Task per task in memory
  created,        // made by a create request (its row is being committed) or read from the store
  suspended,      // suspend_count > 0; the engine does not have it
  queued,         // wants to run; waits for room in its session's window (EngineAdmission)
  held,           // wants to run; waits for the machine (network, its cost, power, sleep): waiting_for says which
  awaiting_body,  // a streamed upload waiting for the application's next body stream
  in_engine,      // the engine has its job (transferring, or waiting for a slot, a retry, a date)
  stopping,       // engine.stop() was sent; the task's StopIntent says what its Finished means
  restarting,     // resumed while its suspend was in flight: waits for its checkpoint, then runs
  ending,         // its end (delivery, upload answer, failure, cancel) is being committed
  awaiting_group, // a group's member with all its bytes synced: waits for the other files (task_group.hpp)
  completed,
  failed,
  cancelled,
};

// Why a stopping task was stopped: what the engine's Finished(cancelled) that answers it means.
enum class StopIntent : std::uint8_t {
  none,
  suspend,                  // it becomes suspended
  resume,                   // suspended, then resumed before the stop landed: it restarts
  cancel,                   // it ends cancelled
  cancel_with_resume_data,  // it ends cancelled, its bytes kept behind resume data
  shutdown,                 // ferryd is exiting; the engine is gone and sends nothing more
  hold,                     // the machine's state keeps it from running now: it waits (held)
};

std::string_view phaseName(Phase p);
bool isFinal(Phase p);
// The phases where the engine has the task's job (a Finished will come, except at shutdown).
inline bool holdsEngineJob(Phase p) { return p == Phase::in_engine || p == Phase::stopping; }
// The legal moves; TaskManager::transition refuses any other (and says so in the log).
bool isLegalTransition(Phase from, Phase to);
// What the store and the application are told. A created task is what its creation asked for.
TaskState wireState(Phase p, StopIntent intent, int suspend_count);
// A final phase from a stored final state (restore).
std::optional<Phase> finalPhaseOf(TaskState s);

}  // namespace ferry::daemon
