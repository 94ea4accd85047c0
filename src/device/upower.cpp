// UPower as the source of "on battery": its manager's OnBattery property.

#include "device/sources.hpp"

namespace ferry::device {

BusValueSpec upowerOnBattery() {
  BusValueSpec s;
  s.source = "UPower";
  s.service = "org.freedesktop.UPower";
  s.path = "/org/freedesktop/UPower";
  s.interface = "org.freedesktop.UPower";
  s.member = "OnBattery";
  s.type = 'b';
  return s;
}

std::optional<bool> onBatteryFromUPower(const BusValue::Value& on_battery) {
  const auto* value = std::get_if<bool>(&on_battery);
  if (value == nullptr) return std::nullopt;
  return *value;
}

}  // namespace ferry::device
