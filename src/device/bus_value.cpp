#include "device/bus_value.hpp"

#include <cstring>

#include <spdlog/spdlog.h>

namespace ferry::device {
std::string signalRule(const std::string& sender, const std::string& path, const std::string& interface,
                       const std::string& member, const std::string& arg0) {
  std::string rule = "type='signal',sender='" + sender + "',path='" + path + "',interface='" + interface + "',member='" + member + "'";
  if (!arg0.empty()) rule += ",arg0='" + arg0 + "'";
  return rule;
}

BusSlot addMatch(BusConnection& bus, const std::string& rule, sd_bus_message_handler_t handler, void* userdata) {
  sd_bus_slot* slot = nullptr;
  if (const int r = sd_bus_add_match_async(bus.get(), &slot, rule.c_str(), handler, nullptr, userdata); r < 0) {
    spdlog::warn("device: cannot watch {}: {}; its changes go unseen", rule, std::strerror(-r));
    return nullptr;
  }
  bus.kick();
  return BusSlot(slot);
}

bool serviceIsAbsent(const sd_bus_error* error) {
  return sd_bus_error_has_name(error, SD_BUS_ERROR_SERVICE_UNKNOWN) || sd_bus_error_has_name(error, SD_BUS_ERROR_NAME_HAS_NO_OWNER);
}

BusValue::BusValue(BusConnection& bus, BusValueSpec spec, Listener listener)
    : bus_(bus), spec_(std::move(spec)), listener_(std::move(listener)) {
  const std::string changed = spec_.is_property
                                  ? signalRule(spec_.service, spec_.path, "org.freedesktop.DBus.Properties", "PropertiesChanged", spec_.interface)
                                  : signalRule(spec_.service, spec_.path, spec_.interface, spec_.changed_signal, "");
  const std::string owner =
      signalRule("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameOwnerChanged", spec_.service);
  changed_match_ = addMatch(bus_, changed, &BusValue::onSignal, this);
  owner_match_ = addMatch(bus_, owner, &BusValue::onOwnerChanged, this);
  read();
}

int BusValue::onSignal(sd_bus_message*, void* self, sd_bus_error*) {
  static_cast<BusValue*>(self)->read();
  return 0;
}

int BusValue::onOwnerChanged(sd_bus_message* m, void* self, sd_bus_error*) {
  auto& v = *static_cast<BusValue*>(self);
  const char* name = nullptr;
  const char* old_owner = nullptr;
  const char* new_owner = nullptr;
  if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0) return 0;  // the bus daemon's own signal
  if (new_owner == nullptr || *new_owner == '\0') {
    spdlog::warn("device: {} left the bus; its value is unknown until it comes back", v.spec_.source);
    v.pending_read_.reset();
    v.settle(false, std::nullopt);
  } else {
    v.read();
  }
  return 0;
}

void BusValue::read() {
  sd_bus_slot* slot = nullptr;
  int r = 0;
  if (spec_.is_property)
    r = sd_bus_call_method_async(bus_.get(), &slot, spec_.service.c_str(), spec_.path.c_str(), "org.freedesktop.DBus.Properties",
                                 "Get", &BusValue::onReply, this, "ss", spec_.interface.c_str(), spec_.member.c_str());
  else
    r = sd_bus_call_method_async(bus_.get(), &slot, spec_.service.c_str(), spec_.path.c_str(), spec_.interface.c_str(),
                                 spec_.member.c_str(), &BusValue::onReply, this, "");
  if (r < 0) {
    spdlog::warn("device: cannot ask {} for {}: {}", spec_.source, spec_.member, std::strerror(-r));
    return settle(false, std::nullopt);
  }
  pending_read_.reset(slot);  // a newer question replaces an older one still unanswered
  bus_.kick();
}

int BusValue::onReply(sd_bus_message* m, void* self, sd_bus_error*) {
  auto& v = *static_cast<BusValue*>(self);
  const sd_bus_error* error = sd_bus_message_get_error(m);
  if (error != nullptr) {
    if (serviceIsAbsent(error)) spdlog::debug("device: {} is not on the bus", v.spec_.source);
    else spdlog::warn("device: {} did not answer {}: {}; taken as unknown", v.spec_.source, v.spec_.member,
                      error->message ? error->message : error->name);
    v.settle(false, std::nullopt);
  } else if (auto value = v.valueOf(m)) {
    v.settle(true, std::move(value));
  } else {
    spdlog::warn("device: {} sent {} as another type than '{}'; taken as unknown", v.spec_.source, v.spec_.member, v.spec_.type);
    v.settle(false, std::nullopt);
  }
  v.pending_read_.reset();  // after the last use of `m`: the slot holds the call, not the reply
  return 0;
}

std::optional<BusValue::Value> BusValue::valueOf(sd_bus_message* reply) {
  const char type[2] = {spec_.type, '\0'};
  if (spec_.is_property && sd_bus_message_enter_container(reply, 'v', type) < 0) return std::nullopt;
  switch (spec_.type) {
    case 'b': {
      int b = 0;
      if (sd_bus_message_read_basic(reply, 'b', &b) < 0) return std::nullopt;
      return Value(b != 0);
    }
    case 'u': {
      std::uint32_t u = 0;
      if (sd_bus_message_read_basic(reply, 'u', &u) < 0) return std::nullopt;
      return Value(u);
    }
    case 's': {
      const char* s = nullptr;
      if (sd_bus_message_read_basic(reply, 's', &s) < 0 || s == nullptr) return std::nullopt;
      return Value(std::string(s));
    }
    default:
      return std::nullopt;
  }
}

void BusValue::settle(bool available, std::optional<Value> value) {
  available_ = available;
  answered_ = true;
  listener_(available, value);
}

}  // namespace ferry::device
