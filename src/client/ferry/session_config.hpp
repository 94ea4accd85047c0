#pragma once
// A background session's configuration: what its client attaches with (hello), what ferryd keeps
// for it (the session's row) and what the launcher runs. Plain values, built by Configuration
// (ferry/configuration.hpp); the protocol validates them (protocol::sessionConfigFromJson), the
// store keeps them (store/row_codec.hpp), and the model names them as its own (model::SessionConfig).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ferry/transport.hpp"

namespace ferry {

// How ferryd relaunches the application when events wait for it (docs/architecture.md).
struct LaunchCommand {
  std::vector<std::string> argv;          // argv[0]: an absolute path of an executable file
  std::string working_directory;          // absolute; empty: "/"
  std::vector<std::string> environment;   // names of ferryd's variables passed on (an allow-list)
  std::chrono::seconds min_interval{30};  // at most one launch per this, per session
  std::chrono::seconds refresh_interval{0};  // background refresh: earliest interval; 0: none
  bool operator==(const LaunchCommand&) const = default;
};

struct SessionConfig {
  int max_concurrent = 6;
  int max_per_host = 4;
  std::chrono::seconds resource_timeout{7 * 24 * 3600};  // a task gives up retrying after this
  std::uint64_t max_bytes_per_second = 0;                 // per task; 0: unlimited
  std::optional<LaunchCommand> launch;                    // "launch" (see LaunchCommand)
  TransportSettings transport;                            // "transport": proxy, TLS, HTTP/2 of every task
  // The network's cost (URLSessionConfiguration's): false holds the session's tasks while the
  // network is metered (expensive: NetworkManager's YES or GUESS_YES, or the portal's metered),
  // or marked metered by the user (constrained: YES only), and lets them go on when it is not.
  bool allows_expensive_network_access = true;
  bool allows_constrained_network_access = true;
  bool operator==(const SessionConfig&) const = default;
};

}  // namespace ferry
