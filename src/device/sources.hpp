#pragma once
// The D-Bus values ferryd watches, one file each: where each service publishes it (a BusValueSpec)
// and what it means. logind, which is more than a value, is logind.hpp.

#include <optional>

#include "device/bus_value.hpp"
#include "device/device_state.hpp"

namespace ferry::device {

// network_manager.cpp: org.freedesktop.NetworkManager's Metered (NMMetered, an unsigned).
BusValueSpec networkManagerMetered();
std::optional<NetworkCost> costFromNetworkManager(const BusValue::Value& metered);

// network_portal.cpp: org.freedesktop.portal.NetworkMonitor's GetMetered (session bus), for
// machines without NetworkManager on the system bus (a sandbox, another network daemon).
BusValueSpec portalMetered();
std::optional<NetworkCost> costFromPortal(const BusValue::Value& metered);

// upower.cpp: org.freedesktop.UPower's OnBattery.
BusValueSpec upowerOnBattery();
std::optional<bool> onBatteryFromUPower(const BusValue::Value& on_battery);

// power_profiles.cpp: power-profiles-daemon's ActiveProfile, under its old name
// (net.hadess.PowerProfiles, Debian 12's 0.12) and its new one (org.freedesktop.UPower.PowerProfiles).
BusValueSpec powerProfilesActive();
BusValueSpec upowerPowerProfilesActive();
std::optional<bool> powerSaverFromProfile(const BusValue::Value& profile);

}  // namespace ferry::device
