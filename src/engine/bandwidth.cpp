#include "engine/bandwidth.hpp"

#include <algorithm>
#include <limits>
#include <numeric>

namespace ferry::engine {
namespace {

constexpr std::uint64_t kUnlimited = std::numeric_limits<std::uint64_t>::max();

std::uint64_t asCap(std::uint64_t limit) { return limit == 0 ? kUnlimited : limit; }

// Max-min fair split of `total` among transfers with the given caps (kUnlimited: none): the
// smallest caps are served first, each of the rest gets an equal part of what is left.
void waterFill(std::uint64_t total, const std::vector<std::size_t>& members, std::vector<std::uint64_t>& caps) {
  std::vector<std::size_t> order = members;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return caps[a] < caps[b]; });
  std::uint64_t left = total;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const std::uint64_t fair = left / (order.size() - i);
    const std::uint64_t given = std::max<std::uint64_t>(std::min(caps[order[i]], fair), 1);
    caps[order[i]] = given;
    left -= std::min(left, given);
  }
}

}  // namespace

std::vector<std::uint64_t> shareBandwidth(const BandwidthLimits& limits, const std::vector<RateDemand>& demands) {
  std::vector<std::uint64_t> caps(demands.size());
  for (std::size_t i = 0; i < demands.size(); ++i) caps[i] = asCap(demands[i].own_cap);

  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < demands.size(); ++i) groups[demands[i].group].push_back(i);
  for (const auto& [group, members] : groups) {
    auto it = limits.per_group.find(group);
    if (it != limits.per_group.end() && it->second > 0) waterFill(it->second, members, caps);
  }
  if (limits.global > 0) {
    std::vector<std::size_t> all(demands.size());
    std::iota(all.begin(), all.end(), std::size_t{0});
    waterFill(limits.global, all, caps);
  }
  for (auto& cap : caps)
    if (cap == kUnlimited) cap = 0;
  return caps;
}

}  // namespace ferry::engine
