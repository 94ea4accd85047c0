#pragma once
// Every source of the machine's state ferryd has, each optional (a missing bus, service or
// netlink socket leaves its part unknown and ferryd runs as without it), merged into one
// DeviceView, with a listener told what changed. Runs on the owner's io_context.
//
//   connectivity  rtnetlink (netlink_watcher.hpp)
//   metered       NetworkManager on the system bus, else the NetworkMonitor portal on the session
//                 bus, else unknown (unmetered)
//   power         UPower (on battery), power-profiles-daemon (power-saver)
//   sleep         logind (delay inhibitor, PrepareForSleep)

#include <memory>
#include <optional>
#include <string>

#include <boost/asio.hpp>

#include "device/bus_connection.hpp"
#include "device/bus_value.hpp"
#include "device/device_state.hpp"
#include "device/logind.hpp"
#include "device/netlink_watcher.hpp"
#include "device/run_policy.hpp"

namespace ferry::device {

struct DeviceOptions {
  // D-Bus addresses; empty: the default bus (DBUS_SYSTEM_BUS_ADDRESS / DBUS_SESSION_BUS_ADDRESS,
  // else the usual sockets); "none": no such bus.
  std::string system_bus;
  std::string session_bus;
  bool watch_network = true;  // rtnetlink
};

class DeviceMonitor {
 public:
  using Listener = std::function<void(const DeviceChange&)>;
  DeviceMonitor(boost::asio::io_context& io, const DeviceOptions& options, Listener listener);
  ~DeviceMonitor();

  DeviceView view() const;
  // Every source on the buses has answered its first question (or failed to): what view() says
  // is what the services say, not "unknown" for want of their answer yet.
  bool settled() const;
  DeviceSources sources() const;
  // Whether transfers run (the sleep inhibitor is held while they do) and, after PrepareForSleep
  // (true), that they are checkpointed (it is released).
  void setBusy(bool busy);
  void readyToSleep();
  bool holdsSleepLock() const { return sleep_ && sleep_->holdsLock(); }

 private:
  void openSystemBus(boost::asio::io_context& io, const std::string& address);
  void openSessionBus(boost::asio::io_context& io, const std::string& address);
  void changed(DeviceChange change);
  void dropSystemSources();
  void recomputeCost();
  void recomputePower();

  Listener listener_;
  std::unique_ptr<NetlinkWatcher> netlink_;
  std::string default_routes_;
  std::unique_ptr<BusConnection> system_bus_;
  std::unique_ptr<BusConnection> session_bus_;
  // Each value as its source last said it (none: unknown), and the watches that keep them.
  std::optional<NetworkCost> nm_cost_, portal_cost_;
  std::optional<bool> on_battery_, power_saver_, upower_power_saver_;
  std::unique_ptr<BusValue> nm_, portal_, upower_, profiles_, upower_profiles_;
  std::unique_ptr<SleepWatch> sleep_;
  NetworkCost cost_;
  PowerState power_;
  bool ready_ = false;  // constructed: sources answering during construction tell nobody yet
};

}  // namespace ferry::device
