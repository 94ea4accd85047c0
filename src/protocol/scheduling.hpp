#pragma once
// The scheduling fields of create_download / create_upload (priority, discretionary, begin_at,
// what the task asks of the machine)
// and bandwidth limits (set_limit), with their validation. docs/ipc.md is the reference.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "model/scheduling.hpp"
#include "protocol/messages.hpp"

namespace ferry::protocol {

inline constexpr double kDefaultPriority = 0.5;
// The latest begin date accepted: 2199-12-31T23:59:59Z. Not later: a begin date is held as a
// std::chrono::system_clock::time_point (nanoseconds in 64 bits, which end in 2262), and a
// later one overflowed in that conversion (found by the ipc fuzzer).
inline constexpr std::int64_t kMaxBeginAt = 7258118399;
// Bandwidth limits: 0 (none), or from 1 KiB/s (below that the stall detector would fire) to 1 PiB/s.
inline constexpr std::uint64_t kMinBandwidthLimit = 1024;
inline constexpr std::uint64_t kMaxBandwidthLimit = 1ULL << 50;

// Reads "priority" (a number 0.0..1.0), "discretionary" (bool) and "begin_at" (whole seconds since
// the epoch, UTC) from a message or a stored object; absent fields keep their defaults. Wrong types
// and out-of-range values are invalid-argument errors with a sentence that says what is allowed.
Result<model::Scheduling> schedulingFromJson(const Json& j);
// Writes the fields into `j` (begin_at only when set, the machine's below only when not the defaults).
void schedulingToJson(const model::Scheduling& s, Json& j);
// allows_expensive_network_access, allows_constrained_network_access (both default true) and
// requires_external_power (default false), each only when not its default.
void putMachineNeeds(const model::Scheduling& s, Json& j);
std::optional<std::int64_t> beginAtSeconds(const model::Scheduling& s);

// A bandwidth limit in bytes/s from a message field: a whole number, 0 (none) or
// kMinBandwidthLimit..kMaxBandwidthLimit.
Result<std::uint64_t> bandwidthLimitFromJson(const Json& message, std::string_view field);

}  // namespace ferry::protocol
