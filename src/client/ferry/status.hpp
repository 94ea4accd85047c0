#pragma once
// The answers of Control::status, limits and setLimit as values: ferryd builds them, Control
// returns them, ferryctl prints them. The protocol carries them (protocol/daemon_status.hpp has
// their JSON codecs, the only place the wire format is spelled).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ferry {

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

// What ferryd knows of the machine, and from where. A source that is empty is unavailable (no
// bus, the service absent, or its answers unusable): its part counts as unknown, which never
// holds a task (unknown cost is unmetered, unknown power is mains).
struct DeviceStatus {
  std::string network_source;               // "rtnetlink"
  std::string metered_source;               // "NetworkManager" or "NetworkMonitor portal"
  std::vector<std::string> power_sources;   // "UPower", "power-profiles-daemon"
  std::string sleep_source;                 // "logind"
  std::optional<bool> online;               // a usable route beyond the loopback; none: not watched
  std::string network_cost = "unknown";     // "unmetered", "metered", "constrained" or "unknown"
  bool on_battery = false;
  bool power_saver = false;
  bool sleeping = false;                    // between PrepareForSleep(true) and (false)
  bool sleep_inhibitor = false;             // ferryd holds logind's delay lock now
  bool operator==(const DeviceStatus&) const = default;
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
  DeviceStatus device;
  bool operator==(const DaemonStatus&) const = default;

  // The session named `id`, or nullptr. Inline: a value type's helper, so that it needs no export.
  const SessionStatus* session(const std::string& id) const {
    for (const auto& s : sessions)
      if (s.id == id) return &s;
    return nullptr;
  }
};

}  // namespace ferry
