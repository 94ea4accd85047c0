#pragma once
// The launcher: runs a session's launch command (protocol::LaunchCommand) the way iOS relaunches
// an application in the background —
// - for events: the session has undelivered events in the outbox and no client attached;
// - for background refresh: the session's refresh interval has passed since the last refresh
//   (missed runs while ferryd was down make one run, not many).
// Never two launches of a session at once; at most one per min_interval; a launch that exits
// without having attached doubles the wait before the next (back-off, capped). The refresh
// schedule and the back-off are kept in the store, so a restart neither loses a due refresh nor
// forgives a failing command. Runs on the IPC loop; all waiting is timers and pidfds.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio.hpp>

#include "daemon/event_outbox.hpp"
#include "daemon/launched_process.hpp"
#include "protocol/daemon_status.hpp"
#include "protocol/messages.hpp"
#include "store/records.hpp"
#include "store/writer.hpp"

namespace ferry::daemon {

enum class LaunchReason { events, refresh };
std::string_view launchReasonName(LaunchReason reason);

// The rate limit and back-off as one rule: the next launch may start `min_interval` after the last
// one, doubled for each launch in a row that ended without attaching, never more than
// max(max_backoff, min_interval) after it. Unix milliseconds; 0 (never launched) allows at once.
std::int64_t launchNotBefore(std::int64_t last_launch_ms, int failures, std::chrono::seconds min_interval,
                             std::chrono::seconds max_backoff);

class AppLauncher {
 public:
  // The back-off never waits longer than this between two launches (or min_interval, if longer).
  static constexpr std::chrono::seconds kMaxBackoff{3600};

  // A launched process that has not attached after `attach_timeout` gets SIGTERM (its process
  // group), SIGKILL 5 s later, and counts as a launch that did not attach: one hung program
  // must not stop its session's relaunches for good.
  static constexpr std::chrono::seconds kDefaultAttachTimeout{300};
  AppLauncher(boost::asio::io_context& io, store::Writer& writer, const EventOutbox& outbox,
              std::chrono::seconds attach_timeout = kDefaultAttachTimeout);
  ~AppLauncher();

  // What the protocol's shape check cannot see: the program is an executable file and the
  // working directory a directory, here and now. Called at attach, before the config is kept.
  static Result<void> check(const protocol::LaunchCommand& launch);

  // At start-up, before start(): the stored configurations and schedules.
  void restore(const std::map<std::string, protocol::SessionConfig>& configs,
               const std::vector<store::LaunchScheduleRow>& schedules);
  // Once ferryd listens on `socket` (FERRY_SOCKET of launched processes): launches what is due.
  void start(std::filesystem::path socket);

  // A client attached with this configuration (it replaces the session's launch command).
  void configure(const std::string& session, const std::optional<protocol::LaunchCommand>& launch);
  void attached(const std::string& session);
  void detached(const std::string& session);
  // The outbox stored an event for a session without a client.
  void eventsPending(const std::string& session);
  // The session is gone (its invalidation was acknowledged).
  void forget(const std::string& session);

  // For ferryctl status: the command, whether it runs, the counts and the schedule; null when the
  // session has no launch command.
  std::optional<protocol::LaunchStatus> status(const std::string& session) const;

 private:
  struct SessionLaunch {
    std::optional<protocol::LaunchCommand> command;  // none: dropped by a later attach (a running launch is still reaped)
    store::LaunchScheduleRow schedule;
    std::unique_ptr<LaunchedProcess> running;
    LaunchReason running_reason = LaunchReason::events;
    bool attached_since_launch = false;
    bool consider_posted = false;
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::unique_ptr<boost::asio::steady_timer> attach_deadline;  // while a launch has not attached
  };

  // Launches now if something is due and allowed, else arms the timer for when it may be.
  void consider(const std::string& session);
  void postConsider(const std::string& session);
  void launch(const std::string& session, SessionLaunch& s, LaunchReason reason);
  void onExited(const std::string& session, const std::string& how);
  void watchAttachDeadline(const std::string& session, SessionLaunch& s);
  // The earliest time (unix ms) the next launch may start: min_interval after the last one,
  // doubled for each launch in a row that did not attach.
  std::int64_t notBefore(const SessionLaunch& s) const;
  void armTimer(const std::string& session, SessionLaunch& s, std::int64_t at_ms);
  void persist(const SessionLaunch& s);
  SpawnSpec spawnSpec(const std::string& session, const SessionLaunch& s, LaunchReason reason) const;

  boost::asio::io_context& io_;
  store::Writer& writer_;
  const EventOutbox& outbox_;
  std::chrono::seconds attach_timeout_;
  std::filesystem::path socket_;
  bool started_ = false;
  std::map<std::string, SessionLaunch> sessions_;
};

}  // namespace ferry::daemon
