// ferryd: the per-user background transfer daemon.

#include <sys/stat.h>

#include <cstdio>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "common/paths.hpp"
#include "daemon/daemon.hpp"

int main(int argc, char** argv) {
  CLI::App app{"ferryd: background HTTP(S) transfers for this user"};
  std::string socket = ferry::paths::defaultSocket().string();
  std::string state_dir = ferry::paths::defaultStateDir().string();
  std::string log_level = "info";
  int checkpoint_ms = 1000;
  int max_transfers = 64;
  int commit_tick_ms = static_cast<int>(ferry::daemon::DaemonOptions{}.commit_tick.count());
  app.add_option("--socket", socket, "Unix socket to listen on (default: $FERRY_SOCKET or $XDG_RUNTIME_DIR/ferry/ferryd.sock)");
  app.add_option("--state-dir", state_dir, "where tasks, events and partial files live (default: $FERRY_STATE_DIR or $XDG_STATE_HOME/ferry)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_option("--checkpoint-ms", checkpoint_ms, "how often a running download's written bytes are made durable")
      ->check(CLI::Range(10, 60000));
  int launch_attach_timeout = static_cast<int>(ferry::daemon::AppLauncher::kDefaultAttachTimeout.count());
  app.add_option("--launch-attach-timeout", launch_attach_timeout,
                 "seconds a launched application may run without attaching before it is stopped")
      ->check(CLI::Range(1, 86400));
  app.add_option("--max-transfers", max_transfers, "transfers running at once across all sessions (default 64)")
      ->check(CLI::Range(1, 10000));
  app.add_option("--commit-tick-ms", commit_tick_ms,
                 "at most one store commit per this many ms; changes in between share it (default 2)")
      ->check(CLI::Range(0, 1000));
  ferry::daemon::DaemonOptions options;
  app.add_option("--system-bus", options.device.system_bus,
                 "D-Bus address of the system bus, where NetworkManager, UPower, power-profiles-daemon and logind are "
                 "(default: $DBUS_SYSTEM_BUS_ADDRESS, else the usual socket); none: do not use one");
  app.add_option("--session-bus", options.device.session_bus,
                 "D-Bus address of the session bus, where the NetworkMonitor portal is (default: "
                 "$DBUS_SESSION_BUS_ADDRESS, else the usual socket); none: do not use one");
  bool no_network_watch = false;
  app.add_flag("--no-network-watch", no_network_watch,
               "do not watch links and routes (rtnetlink): every server counts as reachable");
  app.set_version_flag("--version", FERRY_VERSION);
  CLI11_PARSE(app, argc, argv);
  // Everything ferryd writes is this user's alone: the store holds request headers (an
  // Authorization among them), partial files hold what is being fetched.
  ::umask(077);

  spdlog::set_level(spdlog::level::from_str(log_level));
  // A warning or an error reaches the log at once (a file or a pipe buffers otherwise): it is what
  // somebody looks for when something went wrong, such as a system service sending nonsense.
  spdlog::flush_on(spdlog::level::warn);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e ferryd[%P] %l: %v");

  options.device.watch_network = !no_network_watch;
  options.socket_path = socket;
  options.state_dir = state_dir;
  options.checkpoint_interval = std::chrono::milliseconds(checkpoint_ms);
  options.launch_attach_timeout = std::chrono::seconds(launch_attach_timeout);
  options.max_transfers = max_transfers;
  options.commit_tick = std::chrono::milliseconds(commit_tick_ms);
  auto daemon = ferry::daemon::Daemon::start(options);
  if (!daemon) {
    spdlog::error("{}", daemon.error().describe());
    return daemon.error().is(ferry::errc::already_attached) ? 3 : 1;
  }
  return (*daemon)->run();
}
