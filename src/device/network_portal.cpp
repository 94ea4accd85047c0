// The XDG desktop portal's NetworkMonitor as the source of the network's cost, where
// NetworkManager is not on the system bus: GetMetered on the session bus, asked again on its
// `changed` signal.

#include "device/sources.hpp"

namespace ferry::device {

BusValueSpec portalMetered() {
  return {.source = "NetworkMonitor portal", .service = "org.freedesktop.portal.Desktop", .path = "/org/freedesktop/portal/desktop",
          .interface = "org.freedesktop.portal.NetworkMonitor", .member = "GetMetered", .is_property = false,
          .changed_signal = "changed", .type = 'b'};
}

// The portal says metered or not, nothing of who decided it: expensive, never constrained.
std::optional<NetworkCost> costFromPortal(const BusValue::Value& metered) {
  const auto* value = std::get_if<bool>(&metered);
  if (value == nullptr) return std::nullopt;
  return NetworkCost{*value, false, true};
}

}  // namespace ferry::device
