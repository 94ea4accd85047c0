#pragma once
// The answers of `status`, `limits` and `set_limit` (docs/ipc.md) as values: ferryd builds them,
// Control returns them, ferryctl prints them. The JSON is the wire format; these codecs are the
// only place it is spelled.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "protocol/messages.hpp"

namespace ferry::protocol {

// Bandwidth limits (bytes/s, 0: none) and current rates (bytes/s over the last 3 s; sessions that
// moved nothing lately are left out).
struct BandwidthStatus {
  std::uint64_t global_limit = 0;
  std::map<std::string, std::uint64_t> session_limits;
  std::uint64_t total_rate = 0;
  std::map<std::string, std::uint64_t> session_rates;
  bool operator==(const BandwidthStatus&) const = default;
};

// A session's launch command and its schedule. Times are Unix milliseconds; none: never / not set.
struct LaunchStatus {
  std::vector<std::string> argv;
  std::string working_directory;
  std::int64_t min_interval = 0;      // seconds
  std::int64_t refresh_interval = 0;  // seconds; 0: no background refresh
  std::optional<std::int64_t> running_pid;
  std::string running_for;  // "events" | "refresh" while running
  std::int64_t launches = 0;
  std::int64_t failures = 0;  // launches in a row that did not attach
  std::optional<std::int64_t> last_launch_at;
  std::optional<std::int64_t> last_refresh_at;
  std::optional<std::int64_t> next_refresh_at;
  std::optional<std::int64_t> next_launch_not_before;
  bool operator==(const LaunchStatus&) const = default;
};

struct SessionStatus {
  std::string id;
  bool attached = false;
  std::uint64_t pending_events = 0;
  std::optional<LaunchStatus> launch;
  bool operator==(const SessionStatus&) const = default;
};

struct DaemonStatus {
  std::string daemon_version;
  std::int64_t pid = 0;
  std::int64_t uptime_seconds = 0;
  std::string socket;
  bool socket_activated = false;
  std::string state_dir;
  std::vector<SessionStatus> sessions;
  std::map<std::string, std::uint64_t> tasks_by_state;  // state name -> count
  BandwidthStatus bandwidth;
  bool operator==(const DaemonStatus&) const = default;

  const SessionStatus* session(const std::string& id) const;
};

Json bandwidthStatusToJson(const BandwidthStatus& b);
Result<BandwidthStatus> bandwidthStatusFromJson(const Json& j);
Json launchStatusToJson(const LaunchStatus& l);
Result<LaunchStatus> launchStatusFromJson(const Json& j);
Json daemonStatusToJson(const DaemonStatus& s);
Result<DaemonStatus> daemonStatusFromJson(const Json& j);

}  // namespace ferry::protocol
