#pragma once
// One value a system service publishes, kept current: read when ferryd starts and whenever the
// service appears on the bus or says the value changed, forgotten when the service leaves.
// Either a property (read with org.freedesktop.DBus.Properties.Get, re-read on PropertiesChanged
// for its interface) or the answer of a method without arguments (re-read on a signal without
// arguments: the NetworkMonitor portal's GetMetered and `changed`). Replies of another type than
// expected, errors and a service that leaves all make the value unknown and say so in the log;
// nothing a service sends can do more.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "device/bus_connection.hpp"

namespace ferry::device {

struct BusValueSpec {
  std::string source{};  // who publishes it, for the log and ferryctl status: "NetworkManager"
  std::string service{};
  std::string path{};
  std::string interface{};
  std::string member{};          // the property's name, or the method's
  bool is_property = true;
  std::string changed_signal{};  // for a method: the signal (on `interface`) after which to ask again
  char type = 'b';             // what the value must be: 'b', 'u' or 's'
};

class BusValue {
 public:
  using Value = std::variant<bool, std::uint32_t, std::string>;
  // available: the service answered with a value of the right type (value set); otherwise it is
  // absent or its answer was unusable, and the value is unknown.
  using Listener = std::function<void(bool available, const std::optional<Value>& value)>;

  BusValue(BusConnection& bus, BusValueSpec spec, Listener listener);
  BusValue(const BusValue&) = delete;
  BusValue& operator=(const BusValue&) = delete;

  const BusValueSpec& spec() const { return spec_; }
  bool available() const { return available_; }
  // The first question has been answered (or failed): the value is what the service says.
  bool answered() const { return answered_; }

 private:
  static int onSignal(sd_bus_message* m, void* self, sd_bus_error*);
  static int onOwnerChanged(sd_bus_message* m, void* self, sd_bus_error*);
  static int onReply(sd_bus_message* m, void* self, sd_bus_error*);
  void read();
  void settle(bool available, std::optional<Value> value);
  std::optional<Value> valueOf(sd_bus_message* reply);

  BusConnection& bus_;
  BusValueSpec spec_;
  Listener listener_;
  BusSlot changed_match_;
  BusSlot owner_match_;
  BusSlot pending_read_;
  bool available_ = false;
  bool answered_ = false;
};

// A match rule for a signal of `sender` (a service name) on `path`; with `arg0`, only the signals
// whose first argument is that string.
std::string signalRule(const std::string& sender, const std::string& path, const std::string& interface,
                       const std::string& member, const std::string& arg0 = "");
// Subscribes `handler` to the signals `rule` matches (logged when the bus refuses); dropping the
// slot unsubscribes.
BusSlot addMatch(BusConnection& bus, const std::string& rule, sd_bus_message_handler_t handler, void* userdata);

// Whether a call failed because nobody owns the service's name (absent, not broken).
bool serviceIsAbsent(const sd_bus_error* error);

}  // namespace ferry::device
