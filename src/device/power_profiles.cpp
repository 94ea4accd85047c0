// power-profiles-daemon as the source of "power-saver": its ActiveProfile property. Debian 12's
// daemon (0.12) has the name net.hadess.PowerProfiles; later ones also answer as
// org.freedesktop.UPower.PowerProfiles. ferryd watches both and uses whichever answers.

#include "device/sources.hpp"

namespace ferry::device {

BusValueSpec powerProfilesActive() {
  BusValueSpec s;
  s.source = "power-profiles-daemon";
  s.service = "net.hadess.PowerProfiles";
  s.path = "/net/hadess/PowerProfiles";
  s.interface = "net.hadess.PowerProfiles";
  s.member = "ActiveProfile";
  s.type = 's';
  return s;
}

BusValueSpec upowerPowerProfilesActive() {
  BusValueSpec s = powerProfilesActive();
  s.service = "org.freedesktop.UPower.PowerProfiles";
  s.path = "/org/freedesktop/UPower/PowerProfiles";
  s.interface = "org.freedesktop.UPower.PowerProfiles";
  return s;
}

std::optional<bool> powerSaverFromProfile(const BusValue::Value& profile) {
  const auto* value = std::get_if<std::string>(&profile);
  if (value == nullptr) return std::nullopt;
  return *value == "power-saver";
}

}  // namespace ferry::device
