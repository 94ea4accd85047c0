#pragma once
// ferry::Control: a connection that does not attach to a session, for tools (ferryctl) that list,
// suspend, resume, cancel or watch tasks of any session of this user.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/error.hpp"
#include "ferry/export.hpp"
#include "ferry/group_info.hpp"
#include "ferry/types.hpp"

// Named by a private member only; defined in libferry's own headers.
namespace ferry::protocol {
enum class TaskVerb;
}

namespace ferry {

class IpcConnection;

// Tasks and download groups, as one `list` answers (Control::listing).
struct Listing {
  std::vector<TaskInfo> tasks;
  std::vector<GroupInfo> groups;
};

// What suspend, resume or cancel acted on: a task's and a group's ids come from one sequence, so a
// tool given an id learns from ferryd's answer which it was (Control::act). One of the two is set.
struct Acted {
  std::optional<TaskInfo> task;
  std::optional<GroupInfo> group;
};

class FERRY_EXPORT Control {
 public:
  enum class Action { suspend, resume, cancel };
  static Result<std::unique_ptr<Control>> connect(std::filesystem::path socket = {}, bool start_daemon = true);
  ~Control();

  Result<std::vector<TaskInfo>> list(const std::optional<std::string>& session = std::nullopt);
  Result<TaskInfo> suspend(std::uint64_t task);
  Result<TaskInfo> resume(std::uint64_t task);
  Result<TaskInfo> cancel(std::uint64_t task);
  // A task's resume data, or a group's ("ferry-group-v1:...") when `task` is a group's id.
  Result<std::string> cancelByProducingResumeData(std::uint64_t task);
  // The tasks and the download groups of every session (or of `session`), in one round trip.
  Result<Listing> listing(const std::optional<std::string>& session = std::nullopt);
  // Suspends, resumes or cancels the task or the group `id` names.
  Result<Acted> act(Action action, std::uint64_t id);
  // ferryd's version, uptime, sessions (attached, events waiting, launch), tasks by state, limits.
  Result<DaemonStatus> status();
  // Bandwidth limits and current rates.
  Result<BandwidthStatus> limits();
  // Sets the global limit (no session) or a session's, in bytes/s; 0 clears it. Returns limits().
  Result<BandwidthStatus> setLimit(const std::optional<std::string>& session, std::uint64_t bytes_per_second);
  // Every event of every session (or of `session` only, its queued ones first) from now on, each
  // as the event message's JSON text (one object: type, event, seq, session, task, queued and the
  // payload's fields; docs/ipc.md), on the connection's thread. Text, not a parsed value, so that
  // the public API names no JSON library.
  Result<void> watch(std::function<void(const std::string& event_json)> on_event,
                     const std::optional<std::string>& session = std::nullopt);

 private:
  Control() = default;
  Result<TaskInfo> taskCommand(protocol::TaskVerb verb, std::uint64_t id);
  std::unique_ptr<IpcConnection> connection_;
  std::function<void(const std::string&)> on_event_;
};

}  // namespace ferry
