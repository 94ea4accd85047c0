// ferryctl status and limit: what ferryd reports about itself, its sessions and its bandwidth.

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>

#include "commands.hpp"
#include "common/human_units.hpp"
#include "ferry/control.hpp"
#include "protocol/daemon_status.hpp"
#include "arguments.hpp"

namespace ferry::cli {
namespace {

// "5242880 B/s (5.0 MiB/s)", or "none".
std::string describeRate(std::uint64_t bytes_per_second) {
  if (bytes_per_second == 0) return "none";
  char text[64];
  std::snprintf(text, sizeof text, "%llu B/s (%.1f MiB/s)", static_cast<unsigned long long>(bytes_per_second),
                static_cast<double>(bytes_per_second) / (1024.0 * 1024.0));
  return text;
}

void printBandwidth(const BandwidthStatus& b) {
  std::cout << "bandwidth limit: " << describeRate(b.global_limit) << "; now "
            << units::humanRate(static_cast<double>(b.total_rate)) << "\n";
  std::map<std::string, bool> names;
  for (const auto& [name, v] : b.session_limits) names[name] = true;
  for (const auto& [name, v] : b.session_rates) names[name] = true;
  auto valueOf = [](const std::map<std::string, std::uint64_t>& m, const std::string& name) {
    auto it = m.find(name);
    return it == m.end() ? std::uint64_t{0} : it->second;
  };
  for (const auto& [name, _] : names)
    std::cout << "  session " << name << ": limit " << describeRate(valueOf(b.session_limits, name)) << "; now "
              << units::humanRate(static_cast<double>(valueOf(b.session_rates, name))) << "\n";
}

// A session's launch command and its state, two lines under the session in `ferryctl status`.
void printLaunch(const LaunchStatus& launch) {
  std::string command;
  for (const auto& arg : launch.argv) command += (command.empty() ? "" : " ") + arg;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto in = [&](const std::optional<std::int64_t>& unix_ms) {  // "in 5s" / "5s ago"
    if (!unix_ms) return std::string("never");
    const double seconds = static_cast<double>(*unix_ms - now) / 1000.0;
    return seconds >= 0 ? "in " + units::humanDuration(seconds) : units::humanDuration(-seconds) + " ago";
  };
  std::cout << "  launch: " << command << " (at most every " << launch.min_interval << "s)\n"
            << "  " << launch.launches << " launches, last " << in(launch.last_launch_at);
  if (launch.failures > 0) std::cout << ", " << launch.failures << " in a row without attaching";
  if (launch.running_pid)
    std::cout << ", running (pid " << *launch.running_pid << ", for " << launch.running_for << ")";
  else if (launch.next_launch_not_before && *launch.next_launch_not_before > now)
    std::cout << ", next launch not before " << in(launch.next_launch_not_before);
  if (launch.refresh_interval > 0)
    std::cout << "; refresh every " << launch.refresh_interval << "s, next " << in(launch.next_refresh_at);
  std::cout << "\n";
}

// "sources: network: rtnetlink; metered: NetworkManager; power: UPower, power-profiles-daemon;
// sleep: logind" (each "unavailable" when ferryd has none), then what they say now.
void printDevice(const DeviceStatus& d) {
  auto source = [](const std::string& s) { return s.empty() ? std::string("unavailable") : s; };
  std::string power;
  for (const auto& p : d.power_sources) power += (power.empty() ? "" : ", ") + p;
  std::cout << "sources: network: " << source(d.network_source) << "; metered: " << source(d.metered_source)
            << "; power: " << source(power) << "; sleep: " << source(d.sleep_source) << "\n";
  std::cout << "machine: " << (!d.online ? "network not watched" : *d.online ? "online" : "offline") << ", "
            << (d.network_cost == "unknown" ? "network cost unknown (taken as unmetered)" : d.network_cost) << ", "
            << (d.on_battery ? "on battery" : "on external power") << (d.power_saver ? ", power-saver" : "")
            << (d.sleeping ? ", going to sleep" : "") << (d.sleep_inhibitor ? "; holding a sleep delay lock" : "") << "\n";
}

}  // namespace

int status(const Context& ctx) {
  auto control = Control::connect(ctx.socket, /*start_daemon=*/false);
  if (!control) return report(ctx, control.error());
  auto s = (*control)->status();
  if (!s) return report(ctx, s.error());
  if (ctx.json) {
    std::cout << protocol::daemonStatusToJson(*s).dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "ferryd " << s->daemon_version << ", pid " << s->pid << ", up "
            << units::humanDuration(static_cast<double>(s->uptime_seconds)) << "\n"
            << "socket " << s->socket << (s->socket_activated ? " (from systemd)" : "") << ", state " << s->state_dir
            << "\n";
  for (const auto& session : s->sessions) {
    std::cout << "session " << session.id << (session.attached ? " (attached)" : "") << ", " << session.pending_events
              << " events waiting\n";
    if (session.launch) printLaunch(*session.launch);
  }
  for (const auto& [state, count] : s->tasks_by_state) std::cout << count << " " << state << "\n";
  printBandwidth(s->bandwidth);
  printDevice(s->device);
  return kExitOk;
}

int limit(const Context& ctx, const LimitArgs& args) {
  if (!args.rate.empty() && args.session.empty())
    return report(ctx, Error(errc::invalid_argument, "a rate alone is ambiguous: write ferryctl limit --global RATE, or "
                                                     "ferryctl limit --session ID RATE"));
  if (!args.session.empty() && args.rate.empty())
    return report(ctx, Error(errc::invalid_argument, "give the session's rate: ferryctl limit --session " + args.session +
                                                     " RATE (0 or none clears it)"));
  std::optional<std::uint64_t> global, session_rate;
  if (!args.global.empty()) {
    auto rate = parseRate(args.global);
    if (!rate) return report(ctx, rate.error());
    global = *rate;
  }
  if (!args.session.empty()) {
    if (auto valid = protocol::validateSessionId(args.session); !valid) return report(ctx, valid.error());
    auto rate = parseRate(args.rate);
    if (!rate) return report(ctx, rate.error());
    session_rate = *rate;
  }
  auto control = Control::connect(ctx.socket);
  if (!control) return report(ctx, control.error());
  Result<BandwidthStatus> result = fail(errc::internal, "unreachable");
  if (global) result = (*control)->setLimit(std::nullopt, *global);
  if (session_rate && (!global || result)) result = (*control)->setLimit(args.session, *session_rate);
  if (!global && !session_rate) result = (*control)->limits();
  if (!result) return report(ctx, result.error());
  if (ctx.json)
    std::cout << protocol::bandwidthStatusToJson(*result).dump(2) << "\n";
  else
    printBandwidth(*result);
  return kExitOk;
}

}  // namespace ferry::cli
