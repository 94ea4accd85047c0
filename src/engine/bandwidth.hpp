#pragma once
// Bandwidth limits (global and per group) split among the running transfers they cover.
//
// Each running transfer may have its own cap (the task's max_bytes_per_second). A group's limit is
// shared max-min fairly among the group's transfers (water-filling: a transfer whose own cap is
// below an equal share keeps its cap and leaves the rest to the others), then the global limit is
// shared the same way among all transfers, capped by what their group allows. Pure arithmetic: the
// engine applies the result with CURLOPT_MAX_RECV_SPEED_LARGE / CURLOPT_MAX_SEND_SPEED_LARGE.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ferry::engine {

struct BandwidthLimits {
  std::uint64_t global = 0;                          // bytes/s for all transfers together; 0: none
  std::map<std::string, std::uint64_t> per_group;    // bytes/s for a group's transfers together
  bool operator==(const BandwidthLimits&) const = default;
};

struct RateDemand {
  std::uint64_t id = 0;
  std::string group;
  std::uint64_t own_cap = 0;  // the transfer's own limit; 0: none
};

// The limit each transfer gets (same order as `demands`); 0 means unlimited. A transfer that is
// covered by any limit always gets at least 1 byte/s (0 would mean "unlimited" to curl).
std::vector<std::uint64_t> shareBandwidth(const BandwidthLimits& limits, const std::vector<RateDemand>& demands);

}  // namespace ferry::engine
