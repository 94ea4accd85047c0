#pragma once
// Exponential back-off with jitter between attempts of one job.

#include <chrono>
#include <optional>
#include <random>

#include "engine/transfer.hpp"

namespace ferry::engine {

// The delay before retry number `failures` (1 for the first retry): initial_backoff doubled per
// failure, capped at max_backoff, then scaled by a random factor in [0.5, 1.0] so that many
// clients failing together do not come back together.
std::chrono::milliseconds backoffDelay(const RetryPolicy& policy, int failures, std::mt19937_64& rng);

// The delay to use when the server also said when to come back (Retry-After): the server's word
// wins over our own guess, in both directions.
std::chrono::milliseconds retryDelay(const RetryPolicy& policy, int failures,
                                     std::optional<std::chrono::seconds> retry_after, std::mt19937_64& rng);

}  // namespace ferry::engine
