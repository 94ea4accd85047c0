#include "device/run_policy.hpp"

namespace ferry::device {

std::optional<std::string_view> waitReason(const TaskNeeds& task, const DeviceView& device) {
  if (device.sleeping) return "sleep";
  if (device.routes != nullptr && !device.routes->reaches(task.destination)) return "no-network";
  if (device.cost.expensive && !task.allows_expensive) return "metered-network";
  if (device.cost.constrained && !task.allows_constrained) return "constrained-network";
  if (task.needs_external_power && device.power.on_battery) return "on-battery";
  if (task.needs_external_power && device.power.power_saver) return "power-saver";
  return std::nullopt;
}

}  // namespace ferry::device
