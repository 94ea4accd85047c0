#pragma once
// The one place that turns the machine's state into "may this task run now": ferryd asks it for
// every task before handing it to the engine and again for every task whenever the state
// changes (TaskManager::applyDeviceState). Pure, so the rules are tested without a machine.

#include <optional>
#include <string_view>

#include "device/device_state.hpp"
#include "device/route_table.hpp"

namespace ferry::device {

// What a task asks of the machine (its session's and its own settings together).
struct TaskNeeds {
  Destination destination;  // the URL's host, or the proxy's when the task goes through one
  bool allows_expensive = true;    // allowsExpensiveNetworkAccess (session and task)
  bool allows_constrained = true;  // allowsConstrainedNetworkAccess (session and task)
  bool needs_external_power = false;  // discretionary, or requiresExternalPower
};

// The machine as the rule sees it. routes: null when connectivity is not watched (every
// destination counts as reachable).
struct DeviceView {
  const RouteTable* routes = nullptr;
  NetworkCost cost;
  PowerState power;
  bool sleeping = false;
};

// Why the task waits (its waiting_for), or nothing: it may run. In this order: "sleep",
// "no-network", "metered-network" (expensive, not allowed), "constrained-network", "on-battery",
// "power-saver".
std::optional<std::string_view> waitReason(const TaskNeeds& task, const DeviceView& device);

}  // namespace ferry::device
