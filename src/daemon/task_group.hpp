#pragma once
// A download group as ferryd tracks it (a BITS job, a Background Fetch registration): member
// download tasks that are put in place together or not at all. TaskManager's task_groups.cpp
// drives it; docs/architecture.md, "Download groups", tells the whole story:
//   - a member that has all its bytes syncs them and waits (Phase::awaiting_group, stored as
//     "finalizing") instead of being renamed into place;
//   - when every member waits, one writer item renames them all, syncs each directory once and
//     commits every member's row and events and the group's own didCompleteGroup in one
//     transaction. A kill -9 during the renames leaves the rows "finalizing": at start-up the
//     group commits again, and a member whose partial file is gone but whose destination exists
//     was renamed before the crash;
//   - a member that fails (or is cancelled on its own) fails the group: the others are cancelled
//     and their partial files removed, so no destination file appears.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "daemon/interned_text.hpp"
#include "protocol/groups.hpp"
#include "store/records.hpp"

namespace ferry::daemon {

enum class GroupState : std::uint8_t {
  running,     // its members download (or wait: suspended, queued, awaiting_group)
  committing,  // every member waits: the renames and the final rows are being committed
  failing,     // a member failed: the others are being cancelled
  cancelling,  // the application cancelled it (with or without resume data)
  completed,   // every file is in place
  failed,
  cancelled,
};

std::string_view groupStateName(GroupState s);
inline bool isFinal(GroupState s) {
  return s == GroupState::completed || s == GroupState::failed || s == GroupState::cancelled;
}

struct TaskGroup {
  std::uint64_t id = 0;
  SessionName session;
  std::string name;
  std::string description;
  std::int64_t created_at = 0;
  std::vector<std::uint64_t> members;  // task ids, in the order the application gave them
  GroupState state = GroupState::running;
  std::optional<Error> error;
  std::vector<protocol::GroupFailure> failures;
  // Once ended: what the members came to (they may be forgotten before the group is).
  protocol::GroupProgress final_progress;
  // cancel_with_resume_data: each member's entry as its own cancel answers, and who waits.
  bool keep_resume_data = false;
  std::vector<protocol::GroupEntry> resume_entries;  // by member index
  std::function<void(Result<std::string>)> on_resume_data;
  std::optional<std::string> resume_blob;  // the group's, once made
  std::chrono::steady_clock::time_point last_progress{};
  int commit_attempts = 0;

  store::GroupRow toRow(const protocol::GroupInfo& info) const;
  // A stored group; an ended one takes its outcome (error, failures, progress) from the row.
  static Result<TaskGroup> fromRow(store::GroupRow&& row);
};

}  // namespace ferry::daemon
