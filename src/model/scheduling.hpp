#pragma once
// When and in which order a task may start (URLSessionTask's priority, isDiscretionary,
// earliestBeginDate, allowsExpensiveNetworkAccess, ...). The protocol validates the values (protocol/scheduling.hpp); the engine's
// scheduler obeys them.

#include <chrono>
#include <optional>

namespace ferry::model {

struct Scheduling {
  // 0.0 (lowest) .. 1.0 (highest): among jobs waiting for a slot, higher priority starts first
  // (ties: arrival order).
  double priority = 0.5;
  // Held (Waiting "begin-date <UTC ISO 8601>") until this moment; none or past: at once.
  std::optional<std::chrono::system_clock::time_point> begin_at;
  // (The flags after the larger members: 32 bytes instead of 40 in every task ferryd keeps.)
  // Starts only while no other (non-discretionary) job runs or waits for a slot; a running
  // discretionary job is not interrupted when other work arrives.
  bool discretionary = false;
  // What the task asks of the machine (ferryd's device/run_policy.hpp; the engine ignores them):
  // whether it may use a metered network (allowsExpensiveNetworkAccess) and one the user marked
  // metered (allowsConstrainedNetworkAccess), and whether it waits on battery and in power-saver
  // as a discretionary task does (requiresExternalPower). Its session's settings count too.
  bool allows_expensive_network = true;
  bool allows_constrained_network = true;
  bool requires_external_power = false;
  bool operator==(const Scheduling&) const = default;
};

}  // namespace ferry::model
