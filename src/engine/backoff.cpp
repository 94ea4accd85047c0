#include "engine/backoff.hpp"

#include <algorithm>

namespace ferry::engine {

std::chrono::milliseconds backoffDelay(const RetryPolicy& policy, int failures, std::mt19937_64& rng) {
  using std::chrono::milliseconds;
  const auto initial = std::max(policy.initial_backoff, milliseconds(1));
  const auto cap = std::max(policy.max_backoff, initial);
  milliseconds delay = initial;
  // Doubling stops at the cap, so no overflow however many failures there were.
  for (int i = 1; i < failures && delay < cap; ++i) delay = std::min(delay * 2, cap);
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return milliseconds(static_cast<milliseconds::rep>(static_cast<double>(delay.count()) * jitter(rng)));
}

std::chrono::milliseconds retryDelay(const RetryPolicy& policy, int failures,
                                     std::optional<std::chrono::seconds> retry_after, std::mt19937_64& rng) {
  if (retry_after) return std::chrono::duration_cast<std::chrono::milliseconds>(*retry_after);
  return backoffDelay(policy, failures, rng);
}

}  // namespace ferry::engine
