// UPower as the source of "on battery": its manager's OnBattery property.

#include "device/sources.hpp"

namespace ferry::device {

BusValueSpec upowerOnBattery() {
  return {.source = "UPower", .service = "org.freedesktop.UPower", .path = "/org/freedesktop/UPower",
          .interface = "org.freedesktop.UPower", .member = "OnBattery", .type = 'b'};
}

std::optional<bool> onBatteryFromUPower(const BusValue::Value& on_battery) {
  const auto* value = std::get_if<bool>(&on_battery);
  if (value == nullptr) return std::nullopt;
  return *value;
}

}  // namespace ferry::device
