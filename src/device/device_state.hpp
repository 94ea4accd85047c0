#pragma once
// What ferryd knows of the machine at one moment, merged from every source it has
// (device_monitor.hpp), and what ferryctl status shows of it.

#include <optional>
#include <string>
#include <vector>

namespace ferry::device {

// The network's cost. NetworkManager's Metered: YES (the user said so) is expensive and
// constrained, GUESS_YES (NetworkManager guessed: a modem, a phone's hotspot) expensive only;
// the portal's GetMetered says expensive or not. Unknown (no source, or an unusable answer)
// counts as neither: ferryd never holds work for a cost it cannot see.
struct NetworkCost {
  bool expensive = false;
  bool constrained = false;
  bool known = false;
  bool operator==(const NetworkCost&) const = default;
};

struct PowerState {
  bool on_battery = false;   // UPower OnBattery
  bool power_saver = false;  // power-profiles-daemon's ActiveProfile is "power-saver"
  bool operator==(const PowerState&) const = default;
};

// Which sources ferryd has now, by name ("rtnetlink", "NetworkManager", "NetworkMonitor portal",
// "UPower", "power-profiles-daemon", "logind"); empty: unavailable.
struct DeviceSources {
  std::string network;
  std::string metered;
  std::vector<std::string> power;
  std::string sleep;
};

// What changed, for DeviceMonitor's listener.
struct DeviceChange {
  bool conditions = false;     // something a task's waitReason depends on
  bool routes = false;         // the links or routes changed (a route may have come back)
  bool network_moved = false;  // the default route moved: stalled connections should start again
  std::optional<bool> sleeping;  // set: the machine is about to sleep (true) or woke (false)
};

}  // namespace ferry::device
