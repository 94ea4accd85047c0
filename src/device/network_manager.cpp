// NetworkManager as the source of the network's cost: the Metered property of its manager
// object, the cost of the connection that has the default route.

#include <spdlog/spdlog.h>

#include "device/sources.hpp"

namespace ferry::device {
namespace {

// NMMetered (NetworkManager's nm-dbus-interface.h).
enum NmMetered : std::uint32_t { unknown = 0, yes = 1, no = 2, guess_yes = 3, guess_no = 4 };

}  // namespace

BusValueSpec networkManagerMetered() {
  return {.source = "NetworkManager", .service = "org.freedesktop.NetworkManager", .path = "/org/freedesktop/NetworkManager",
          .interface = "org.freedesktop.NetworkManager", .member = "Metered", .type = 'u'};
}

std::optional<NetworkCost> costFromNetworkManager(const BusValue::Value& metered) {
  const auto* value = std::get_if<std::uint32_t>(&metered);
  if (value == nullptr) return std::nullopt;
  switch (*value) {
    case yes:
      return NetworkCost{true, true, true};
    case guess_yes:
      return NetworkCost{true, false, true};
    case no:
    case guess_no:
      return NetworkCost{false, false, true};
    case unknown:
      return NetworkCost{};
    default:
      spdlog::warn("device: NetworkManager's Metered is {}, which NetworkManager does not define; taken as unknown", *value);
      return std::nullopt;
  }
}

}  // namespace ferry::device
