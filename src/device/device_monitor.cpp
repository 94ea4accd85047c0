#include "device/device_monitor.hpp"

#include <spdlog/spdlog.h>

#include "device/sources.hpp"

namespace ferry::device {
namespace {

// Keeps `slot` as the source's interpretation of its latest answer (none: unknown).
template <class T, class Interpret>
BusValue::Listener keep(std::optional<T>& slot, Interpret interpret, std::function<void()> then) {
  return [&slot, interpret, then = std::move(then)](bool available, const std::optional<BusValue::Value>& value) {
    slot = available && value ? interpret(*value) : std::nullopt;
    then();
  };
}

// The bus, or null (logged, with what ferryd does without it).
std::unique_ptr<BusConnection> openBus(boost::asio::io_context& io, BusConnection::Kind kind, const std::string& address,
                                       const char* without) {
  auto bus = BusConnection::open(io, kind, address);
  if (bus) return std::move(*bus);
  spdlog::info("device: {}; {}", bus.error().describe(), without);
  return nullptr;
}

}  // namespace

DeviceMonitor::DeviceMonitor(boost::asio::io_context& io, const DeviceOptions& options, Listener listener)
    : listener_(std::move(listener)) {
  if (options.watch_network) {
    auto watcher = NetlinkWatcher::start(io, [this](const RouteTable& table) {
      const auto routes = table.primaryDefaultRoutes();
      const bool moved = !default_routes_.empty() && !routes.empty() && routes != default_routes_;
      if (routes != default_routes_) spdlog::info("device: default route {}", routes.empty() ? "gone" : routes);
      default_routes_ = routes;
      changed({.conditions = true, .routes = true, .network_moved = moved, .sleeping = std::nullopt});
    });
    if (watcher) {
      netlink_ = std::move(*watcher);
      default_routes_ = netlink_->table().primaryDefaultRoutes();
    } else {
      spdlog::warn("device: {}", watcher.error().describe());
    }
  }
  if (options.system_bus != "none") openSystemBus(io, options.system_bus);
  if (options.session_bus != "none") openSessionBus(io, options.session_bus);
  recomputeCost();
  recomputePower();
  ready_ = true;
}

DeviceMonitor::~DeviceMonitor() {
  // The watches before their buses.
  sleep_.reset();
  nm_.reset();
  portal_.reset();
  upower_.reset();
  profiles_.reset();
  upower_profiles_.reset();
}

void DeviceMonitor::openSystemBus(boost::asio::io_context& io, const std::string& address) {
  system_bus_ = openBus(io, BusConnection::Kind::system, address, "metered, power and sleep sources are unavailable");
  if (!system_bus_) return;
  auto cost = [this] { recomputeCost(); };
  auto power = [this] { recomputePower(); };
  nm_ = std::make_unique<BusValue>(*system_bus_, networkManagerMetered(), keep(nm_cost_, costFromNetworkManager, cost));
  upower_ = std::make_unique<BusValue>(*system_bus_, upowerOnBattery(), keep(on_battery_, onBatteryFromUPower, power));
  profiles_ = std::make_unique<BusValue>(*system_bus_, powerProfilesActive(), keep(power_saver_, powerSaverFromProfile, power));
  upower_profiles_ =
      std::make_unique<BusValue>(*system_bus_, upowerPowerProfilesActive(), keep(upower_power_saver_, powerSaverFromProfile, power));
  sleep_ = std::make_unique<SleepWatch>(
      *system_bus_, [this](bool sleeping) { changed({.conditions = true, .sleeping = sleeping}); },
      [this] { changed({}); });
  system_bus_->onLost([this] { dropSystemSources(); });
}

// The system bus is gone (its daemon died): every source on it is unavailable, its values
// unknown, and a sleep that was coming is over (nobody will say PrepareForSleep(false) now).
void DeviceMonitor::dropSystemSources() {
  const bool was_sleeping = sleep_ && sleep_->sleeping();
  sleep_.reset();
  nm_.reset();
  upower_.reset();
  profiles_.reset();
  upower_profiles_.reset();
  nm_cost_.reset();
  on_battery_.reset();
  power_saver_.reset();
  upower_power_saver_.reset();
  recomputeCost();
  recomputePower();
  if (was_sleeping) changed({.conditions = true, .network_moved = false, .sleeping = false});
}

void DeviceMonitor::openSessionBus(boost::asio::io_context& io, const std::string& address) {
  session_bus_ = openBus(io, BusConnection::Kind::session, address, "no NetworkMonitor portal");
  if (!session_bus_) return;
  portal_ = std::make_unique<BusValue>(*session_bus_, portalMetered(), keep(portal_cost_, costFromPortal, [this] { recomputeCost(); }));
  session_bus_->onLost([this] {
    portal_.reset();
    portal_cost_.reset();
    recomputeCost();
  });
}

// NetworkManager when it answers, else the portal, else unknown.
void DeviceMonitor::recomputeCost() {
  const NetworkCost cost = nm_cost_ ? *nm_cost_ : portal_cost_ ? *portal_cost_ : NetworkCost{};
  if (cost == cost_) return;
  cost_ = cost;
  spdlog::info("device: the network is {}", !cost.known ? "of unknown cost (taken as unmetered)"
                                           : cost.constrained ? "metered (set by the user)"
                                           : cost.expensive   ? "metered"
                                                              : "unmetered");
  changed({.conditions = true, .network_moved = false, .sleeping = std::nullopt});
}

void DeviceMonitor::recomputePower() {
  const PowerState power{on_battery_.value_or(false), power_saver_.value_or(upower_power_saver_.value_or(false))};
  if (power == power_) return;
  power_ = power;
  spdlog::info("device: {}, {}", power.on_battery ? "on battery" : "on external power (or unknown)",
               power.power_saver ? "power-saver profile" : "no power-saver profile");
  changed({.conditions = true, .network_moved = false, .sleeping = std::nullopt});
}

void DeviceMonitor::changed(DeviceChange change) {
  if (ready_ && listener_) listener_(change);
}

DeviceView DeviceMonitor::view() const {
  DeviceView v;
  v.routes = netlink_ ? &netlink_->table() : nullptr;
  v.cost = cost_;
  v.power = power_;
  v.sleeping = sleep_ && sleep_->sleeping();
  return v;
}

// The sources whose answers are in use now: a source that is absent, or whose answer was unusable,
// is not one.
DeviceSources DeviceMonitor::sources() const {
  DeviceSources s;
  if (netlink_) s.network = "rtnetlink";
  if (nm_cost_) s.metered = nm_->spec().source;
  else if (portal_cost_) s.metered = portal_->spec().source;
  if (on_battery_) s.power.push_back(upower_->spec().source);
  if (power_saver_ || upower_power_saver_) s.power.push_back(profiles_->spec().source);
  if (sleep_ && sleep_->available()) s.sleep = "logind";
  return s;
}

bool DeviceMonitor::settled() const {
  for (const auto* value : {nm_.get(), portal_.get(), upower_.get(), profiles_.get(), upower_profiles_.get()})
    if (value != nullptr && !value->answered()) return false;
  return !sleep_ || sleep_->answered();
}

void DeviceMonitor::setBusy(bool busy) {
  if (sleep_) sleep_->setBusy(busy);
}

void DeviceMonitor::readyToSleep() {
  if (sleep_) sleep_->readyToSleep();
}

}  // namespace ferry::device
