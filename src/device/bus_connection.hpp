#pragma once
// One D-Bus connection (sd-bus, libsystemd) driven by the owner's io_context: its socket is
// watched with asio and sd_bus_process runs when it is readable (or writable while messages wait
// to go out), or when sd-bus's own timeout (a method call's) expires. Everything the sources do
// with the bus (async calls, signal matches) runs on that io_context's thread, and none of it
// blocks: a slow or dead service is a call that times out, not a stuck ferryd.

#include <systemd/sd-bus.h>

#include <functional>
#include <memory>
#include <string>

#include <boost/asio.hpp>

#include "common/error.hpp"

namespace ferry::device {

struct BusCloser {
  void operator()(sd_bus* bus) const { sd_bus_close_unref(bus); }
};
struct SlotCloser {
  void operator()(sd_bus_slot* slot) const { sd_bus_slot_unref(slot); }
};
// A match or a pending call: dropping it removes the match or forgets the call.
using BusSlot = std::unique_ptr<sd_bus_slot, SlotCloser>;

class BusConnection {
 public:
  enum class Kind { system, session };
  // `address`: a D-Bus address ("unix:path=/run/dbus/system_bus_socket"), or empty for the
  // default of `kind` (sd-bus reads DBUS_SYSTEM_BUS_ADDRESS / DBUS_SESSION_BUS_ADDRESS). Fails
  // when nothing answers there; ferryd then runs without the sources on that bus.
  static Result<std::unique_ptr<BusConnection>> open(boost::asio::io_context& io, Kind kind, const std::string& address);
  ~BusConnection();

  sd_bus* get() const { return bus_.get(); }
  std::string describe() const { return describe_; }
  // After queueing a call: sends it now instead of at the next wake-up.
  void kick();
  // The connection broke (the bus daemon went away): every source on it is unavailable.
  void onLost(std::function<void()> fn) { on_lost_ = std::move(fn); }

 private:
  BusConnection(boost::asio::io_context& io, std::unique_ptr<sd_bus, BusCloser> bus, std::string describe);
  void process();
  void arm();
  void waitFor(boost::asio::posix::stream_descriptor::wait_type type, bool& pending);

  std::unique_ptr<sd_bus, BusCloser> bus_;
  std::string describe_;
  boost::asio::posix::stream_descriptor descriptor_;
  boost::asio::steady_timer timer_;
  bool reading_ = false;
  bool writing_ = false;
  bool lost_ = false;
  std::function<void()> on_lost_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace ferry::device
