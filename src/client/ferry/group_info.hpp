#pragma once
// A download group as ferryd reports it (Session::downloadGroup, Session::getAllGroups, the
// didCompleteGroup event): many files fetched as one job, like a BITS job or a Background Fetch
// registration. No file of a group is put at its destination until every file of the group is
// downloaded and verified; then all are, so an application never sees half a group.
// docs/architecture.md, "Download groups". The protocol carries it (protocol/groups.hpp).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ferry/error.hpp"

namespace ferry {

// A group's progress as one figure: files and bytes (transient didWriteGroupData, GroupInfo).
struct GroupProgress {
  std::uint64_t files_total = 0;
  std::uint64_t files_done = 0;  // downloaded and verified (waiting for the others, or in place)
  std::uint64_t bytes_written = 0;
  std::optional<std::uint64_t> bytes_expected;  // known once every file's length is known
  bool operator==(const GroupProgress&) const = default;
};

// A member that made the group fail, and why.
struct GroupFailure {
  std::uint64_t task = 0;
  std::string url;
  std::string destination;
  Error error;
  bool operator==(const GroupFailure&) const = default;
};

struct GroupInfo {
  std::uint64_t id = 0;  // from the same sequence as task ids: no task has a group's id
  std::string session;
  std::string name;
  std::string description;
  std::string state;  // suspended | running | finalizing | completed | failed | cancelled
  std::vector<std::uint64_t> tasks;  // its members, in the order they were given
  GroupProgress progress;
  std::optional<Error> error;          // why it ended without success
  std::vector<GroupFailure> failures;  // the members that failed (the first is the cause)
  std::int64_t created_at = 0;
  bool operator==(const GroupInfo&) const = default;
};

}  // namespace ferry
