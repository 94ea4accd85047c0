#include "protocol/daemon_status.hpp"

#include "protocol/field_reader.hpp"

namespace ferry::protocol {
namespace {

Json orNull(const std::optional<std::int64_t>& v) { return v ? Json(*v) : Json(nullptr); }

Json countsToJson(const std::map<std::string, std::uint64_t>& counts) {
  Json out = Json::object();
  for (const auto& [name, n] : counts) out[name] = n;
  return out;
}

// {"name": N, ...} with whole numbers of 0 or more.
std::map<std::string, std::uint64_t> countsFromJson(FieldReader& in, const Json* j, const std::string& what) {
  std::map<std::string, std::uint64_t> out;
  if (!j) return out;
  for (const auto& [name, n] : j->items()) {
    if (!n.is_number_unsigned()) {
      in.problem(what + ": the value of " + name + " must be a whole number of 0 or more");
      continue;
    }
    out[name] = n.get<std::uint64_t>();
  }
  return out;
}

std::vector<std::string> stringsFromJson(FieldReader& in, const Json* j, const std::string& what) {
  std::vector<std::string> out;
  if (!j) return out;
  for (const auto& s : *j) {
    if (!s.is_string()) {
      in.problem(what + " must hold strings only");
      continue;
    }
    out.push_back(s.get<std::string>());
  }
  return out;
}

}  // namespace

Json bandwidthStatusToJson(const BandwidthStatus& b) {
  return {{"global", b.global_limit},
          {"sessions", countsToJson(b.session_limits)},
          {"rates", {{"total", b.total_rate}, {"sessions", countsToJson(b.session_rates)}}}};
}

Result<BandwidthStatus> bandwidthStatusFromJson(const Json& j) {
  FieldReader in(j, "bandwidth");
  BandwidthStatus b;
  b.global_limit = in.unsignedInteger("global");
  b.session_limits = countsFromJson(in, in.object("sessions"), "bandwidth sessions");
  if (const Json* rates = in.object("rates")) {
    FieldReader r(*rates, "bandwidth rates");
    b.total_rate = r.unsignedInteger("total");
    b.session_rates = countsFromJson(r, r.object("sessions"), "bandwidth rates sessions");
    if (auto checked = r.finish(0); !checked) in.problem(checked.error().message);
  }
  return in.finish(std::move(b));
}

Json launchStatusToJson(const LaunchStatus& l) {
  return {{"argv", l.argv},
          {"working_directory", l.working_directory},
          {"min_interval", l.min_interval},
          {"refresh_interval", l.refresh_interval},
          {"running_pid", orNull(l.running_pid)},
          {"running_for", l.running_pid ? Json(l.running_for) : Json(nullptr)},
          {"launches", l.launches},
          {"failures", l.failures},
          {"last_launch_at", orNull(l.last_launch_at)},
          {"last_refresh_at", orNull(l.last_refresh_at)},
          {"next_refresh_at", orNull(l.next_refresh_at)},
          {"next_launch_not_before", orNull(l.next_launch_not_before)}};
}

Result<LaunchStatus> launchStatusFromJson(const Json& j) {
  FieldReader in(j, "launch");
  LaunchStatus l;
  l.argv = stringsFromJson(in, in.array("argv"), "launch argv");
  l.working_directory = in.string("working_directory");
  l.min_interval = in.integer("min_interval");
  l.refresh_interval = in.integer("refresh_interval");
  l.running_pid = in.optionalInteger("running_pid");
  l.running_for = in.string("running_for");
  l.launches = in.integer("launches");
  l.failures = in.integer("failures");
  l.last_launch_at = in.optionalInteger("last_launch_at");
  l.last_refresh_at = in.optionalInteger("last_refresh_at");
  l.next_refresh_at = in.optionalInteger("next_refresh_at");
  l.next_launch_not_before = in.optionalInteger("next_launch_not_before");
  return in.finish(std::move(l));
}

Json deviceStatusToJson(const DeviceStatus& d) {
  return {{"network_source", d.network_source}, {"metered_source", d.metered_source},
          {"power_sources", d.power_sources},   {"sleep_source", d.sleep_source},
          {"online", d.online ? Json(*d.online) : Json(nullptr)}, {"network_cost", d.network_cost},
          {"on_battery", d.on_battery},          {"power_saver", d.power_saver},
          {"sleeping", d.sleeping},              {"sleep_inhibitor", d.sleep_inhibitor}};
}

Result<DeviceStatus> deviceStatusFromJson(const Json& j) {
  FieldReader in(j, "device");
  DeviceStatus d;
  d.network_source = in.string("network_source");
  d.metered_source = in.string("metered_source");
  d.power_sources = stringsFromJson(in, in.array("power_sources"), "device power_sources");
  d.sleep_source = in.string("sleep_source");
  if (const Json* online = in.value("online")) {
    if (online->is_boolean()) d.online = online->get<bool>();
    else in.problem("device: online must be true, false or null");
  }
  d.network_cost = in.string("network_cost", "unknown");
  d.on_battery = in.boolean("on_battery");
  d.power_saver = in.boolean("power_saver");
  d.sleeping = in.boolean("sleeping");
  d.sleep_inhibitor = in.boolean("sleep_inhibitor");
  return in.finish(std::move(d));
}

Json daemonStatusToJson(const DaemonStatus& s) {
  Json sessions = Json::array();
  for (const auto& session : s.sessions)
    sessions.push_back({{"id", session.id},
                        {"attached", session.attached},
                        {"pending_events", session.pending_events},
                        {"launch", session.launch ? launchStatusToJson(*session.launch) : Json(nullptr)}});
  return {{"daemon_version", s.daemon_version}, {"pid", s.pid},
          {"uptime_seconds", s.uptime_seconds}, {"socket", s.socket},
          {"socket_activated", s.socket_activated}, {"state_dir", s.state_dir},
          {"sessions", sessions}, {"tasks_by_state", countsToJson(s.tasks_by_state)},
          {"bandwidth", bandwidthStatusToJson(s.bandwidth)}, {"device", deviceStatusToJson(s.device)}};
}

Result<DaemonStatus> daemonStatusFromJson(const Json& j) {
  FieldReader in(j, "status");
  DaemonStatus s;
  s.daemon_version = in.string("daemon_version");
  s.pid = in.integer("pid");
  s.uptime_seconds = in.integer("uptime_seconds");
  s.socket = in.string("socket");
  s.socket_activated = in.boolean("socket_activated");
  s.state_dir = in.string("state_dir");
  if (const Json* sessions = in.array("sessions")) {
    for (const auto& entry : *sessions) {
      FieldReader e(entry, "status session");
      SessionStatus session{e.string("id"), e.boolean("attached"), e.unsignedInteger("pending_events"), std::nullopt};
      if (const Json* launch = e.object("launch")) {
        auto decoded = launchStatusFromJson(*launch);
        if (decoded) session.launch = std::move(*decoded);
        else e.problem(decoded.error().message);
      }
      if (auto checked = e.finish(0); !checked) in.problem(checked.error().message);
      s.sessions.push_back(std::move(session));
    }
  }
  s.tasks_by_state = countsFromJson(in, in.object("tasks_by_state"), "status tasks_by_state");
  if (const Json* bandwidth = in.object("bandwidth")) {
    auto decoded = bandwidthStatusFromJson(*bandwidth);
    if (decoded) s.bandwidth = std::move(*decoded);
    else in.problem(decoded.error().message);
  }
  if (const Json* device = in.object("device")) {  // ferryd before 0.1.1 sends none
    auto decoded = deviceStatusFromJson(*device);
    if (decoded) s.device = std::move(*decoded);
    else in.problem(decoded.error().message);
  }
  return in.finish(std::move(s));
}

}  // namespace ferry::protocol
