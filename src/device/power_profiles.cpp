// power-profiles-daemon as the source of "power-saver": its ActiveProfile property. Debian 12's
// daemon (0.12) has the name net.hadess.PowerProfiles; later ones also answer as
// org.freedesktop.UPower.PowerProfiles. ferryd watches both and uses whichever answers.

#include "device/sources.hpp"

namespace ferry::device {

BusValueSpec powerProfilesActive() {
  return {.source = "power-profiles-daemon", .service = "net.hadess.PowerProfiles", .path = "/net/hadess/PowerProfiles",
          .interface = "net.hadess.PowerProfiles", .member = "ActiveProfile", .type = 's'};
}

BusValueSpec upowerPowerProfilesActive() {
  return {.source = "power-profiles-daemon", .service = "org.freedesktop.UPower.PowerProfiles",
          .path = "/org/freedesktop/UPower/PowerProfiles", .interface = "org.freedesktop.UPower.PowerProfiles",
          .member = "ActiveProfile", .type = 's'};
}

std::optional<bool> powerSaverFromProfile(const BusValue::Value& profile) {
  const auto* value = std::get_if<std::string>(&profile);
  if (value == nullptr) return std::nullopt;
  return *value == "power-saver";
}

}  // namespace ferry::device
