#include "daemon/app_launcher.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <spdlog/spdlog.h>

namespace ferry::daemon {

using protocol::Json;

namespace {

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::int64_t toMs(std::chrono::seconds s) { return std::chrono::duration_cast<std::chrono::milliseconds>(s).count(); }

Error launchError(const std::string& why) { return Error(errc::invalid_argument, "launch command: " + why); }

std::optional<std::int64_t> timeOrNone(std::int64_t unix_ms) {
  return unix_ms == 0 ? std::nullopt : std::optional<std::int64_t>(unix_ms);
}

}  // namespace

std::string_view launchReasonName(LaunchReason reason) { return reason == LaunchReason::events ? "events" : "refresh"; }

AppLauncher::AppLauncher(boost::asio::io_context& io, store::Writer& writer, const EventOutbox& outbox,
                         std::chrono::seconds attach_timeout)
    : io_(io), writer_(writer), outbox_(outbox), attach_timeout_(attach_timeout) {}

AppLauncher::~AppLauncher() = default;

Result<void> AppLauncher::check(const protocol::LaunchCommand& launch) {
  const std::string& program = launch.argv.at(0);  // the protocol refuses an empty argv
  struct stat st {};
  if (::stat(program.c_str(), &st) != 0)
    return tl::unexpected(launchError("the program " + program + " cannot be used (" + std::strerror(errno) +
                                      "); give the absolute path of an executable file"));
  if (!S_ISREG(st.st_mode)) return tl::unexpected(launchError("the program " + program + " is not a regular file"));
  if (::access(program.c_str(), X_OK) != 0)
    return tl::unexpected(launchError("the program " + program + " is not executable (chmod +x it)"));
  if (!launch.working_directory.empty()) {
    struct stat wd {};
    if (::stat(launch.working_directory.c_str(), &wd) != 0 || !S_ISDIR(wd.st_mode))
      return tl::unexpected(launchError("the working directory " + launch.working_directory + " is not a directory"));
  }
  return {};
}

void AppLauncher::restore(const std::map<std::string, protocol::SessionConfig>& configs,
                          const std::vector<store::LaunchScheduleRow>& schedules) {
  std::map<std::string, store::LaunchScheduleRow> stored;
  for (const auto& row : schedules) stored[row.session] = row;
  for (const auto& [session, config] : configs) {
    if (!config.launch) continue;
    auto found = stored.find(session);
    if (found != stored.end()) {
      sessions_[session].schedule = found->second;
      stored.erase(found);
    }
    configure(session, config.launch);  // schedules a first refresh when none is stored
  }
  for (const auto& [session, row] : stored)  // left over from a session that dropped its launch command
    writer_.submit(store::Durability::progress, [session = session](store::Store& s) { return s.deleteLaunchSchedule(session); });
}

void AppLauncher::start(std::filesystem::path socket) {
  socket_ = std::move(socket);
  started_ = true;
  for (const auto& [session, s] : sessions_) postConsider(session);
}

void AppLauncher::configure(const std::string& session, const std::optional<protocol::LaunchCommand>& launch) {
  auto it = sessions_.find(session);
  if (!launch) {
    if (it == sessions_.end() || !it->second.command) return;
    it->second.command.reset();  // a running launch runs on and is reaped
    if (it->second.timer) it->second.timer->cancel();
    it->second.schedule.next_refresh_at = 0;
    persist(it->second);
    spdlog::info("session {}: no launch command any more", session);
    return;
  }
  auto& s = sessions_[session];
  s.schedule.session = session;
  s.command = *launch;
  const auto before = s.schedule.next_refresh_at;
  if (launch->refresh_interval.count() == 0) {
    s.schedule.next_refresh_at = 0;
  } else {
    // A stored due time stands (a restart does not postpone a refresh); a new or shortened
    // interval counts from now.
    const auto latest = nowMs() + toMs(launch->refresh_interval);
    if (s.schedule.next_refresh_at == 0 || s.schedule.next_refresh_at > latest) s.schedule.next_refresh_at = latest;
  }
  if (s.schedule.next_refresh_at != before) persist(s);
  postConsider(session);
}

void AppLauncher::attached(const std::string& session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  auto& s = it->second;
  if (s.running) s.attached_since_launch = true;
  if (s.attach_deadline) s.attach_deadline->cancel();
  if (s.schedule.failures != 0) {  // the command works (or the application was started by hand)
    s.schedule.failures = 0;
    persist(s);
  }
}

void AppLauncher::detached(const std::string& session) {
  if (sessions_.count(session) != 0) postConsider(session);
}

void AppLauncher::eventsPending(const std::string& session) {
  if (sessions_.count(session) != 0) postConsider(session);
}

void AppLauncher::forget(const std::string& session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  if (it->second.running)
    spdlog::info("session {}: forgotten while its launch (pid {}) runs; it is not watched any more", session,
                 it->second.running->pid());
  sessions_.erase(it);
  writer_.submit(store::Durability::progress, [session](store::Store& s) { return s.deleteLaunchSchedule(session); });
}

void AppLauncher::postConsider(const std::string& session) {
  auto& s = sessions_[session];
  if (s.consider_posted) return;
  s.consider_posted = true;  // many events committed at once make one look
  boost::asio::post(io_, [this, session]() { consider(session); });
}

void AppLauncher::consider(const std::string& session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  auto& s = it->second;
  s.consider_posted = false;
  if (!started_ || !s.command || s.running) return;  // an exit looks again
  if (outbox_.isAttached(session)) return;            // a detach looks again
  const auto now = nowMs();
  const bool events = outbox_.pendingCount(session) > 0;
  const bool refresh_due = s.schedule.next_refresh_at != 0 && now >= s.schedule.next_refresh_at;
  if (!events && !refresh_due) {
    if (s.schedule.next_refresh_at != 0) armTimer(session, s, s.schedule.next_refresh_at);
    return;
  }
  if (const auto allowed = notBefore(s); now < allowed) return armTimer(session, s, allowed);
  launch(session, s, events ? LaunchReason::events : LaunchReason::refresh);
}

std::int64_t launchNotBefore(std::int64_t last_launch_ms, int failures, std::chrono::seconds min_interval,
                             std::chrono::seconds max_backoff) {
  if (last_launch_ms == 0) return 0;
  const auto base = toMs(min_interval);
  const auto cap = std::max(toMs(max_backoff), base);
  std::int64_t wait = base;
  for (int i = 0; i < failures && wait < cap; ++i) wait *= 2;
  return last_launch_ms + std::min(wait, cap);
}

std::int64_t AppLauncher::notBefore(const SessionLaunch& s) const {
  if (!s.command) return 0;
  return launchNotBefore(s.schedule.last_launch_at, s.schedule.failures, s.command->min_interval, kMaxBackoff);
}

void AppLauncher::armTimer(const std::string& session, SessionLaunch& s, std::int64_t at_ms) {
  if (!s.timer) s.timer = std::make_unique<boost::asio::steady_timer>(io_);
  s.timer->expires_after(std::chrono::milliseconds(std::max<std::int64_t>(0, at_ms - nowMs())));
  s.timer->async_wait([this, session](const boost::system::error_code& ec) {
    if (ec) return;  // re-armed, cancelled or destroyed
    consider(session);
  });
}

SpawnSpec AppLauncher::spawnSpec(const std::string& session, const SessionLaunch& s, LaunchReason reason) const {
  SpawnSpec spec;
  spec.argv = s.command->argv;
  spec.working_directory = s.command->working_directory;
  auto& environment = spec.environment.emplace();  // the whole environment: only what is allowed
  for (const auto& name : s.command->environment)
    if (const char* value = std::getenv(name.c_str())) environment.push_back(name + "=" + value);
  environment.push_back(std::string(protocol::kLaunchSessionVariable) + "=" + session);
  environment.push_back(std::string(protocol::kLaunchSocketVariable) + "=" + socket_.string());
  environment.push_back(std::string(protocol::kLaunchReasonVariable) + "=" + std::string(launchReasonName(reason)));
  return spec;
}

void AppLauncher::launch(const std::string& session, SessionLaunch& s, LaunchReason reason) {
  const auto now = nowMs();
  s.schedule.last_launch_at = now;
  ++s.schedule.launches;
  // A launch for events while a refresh is due is that refresh too: the application runs anyway.
  if (s.command->refresh_interval.count() > 0 && s.schedule.next_refresh_at != 0 && now >= s.schedule.next_refresh_at) {
    s.schedule.last_refresh_at = now;
    s.schedule.next_refresh_at = now + toMs(s.command->refresh_interval);  // missed runs coalesce into this one
  }
  s.attached_since_launch = false;
  s.running_reason = reason;
  const std::string prefix = "session " + session + " (launched for " + std::string(launchReasonName(reason)) + ")";
  auto process = LaunchedProcess::spawn(io_, spawnSpec(session, s, reason), prefix,
                                        [this, session](const std::string& how) { onExited(session, how); });
  if (!process) {
    ++s.schedule.failures;
    persist(s);
    spdlog::warn("session {}: {}; trying again no sooner than in {} s", session, process.error().describe(),
                 (notBefore(s) - now) / 1000);
    armTimer(session, s, notBefore(s));
    return;
  }
  s.running = std::move(*process);
  persist(s);
  watchAttachDeadline(session, s);
  spdlog::info("session {}: launched {} (pid {}) for {}{}", session, s.command->argv[0], s.running->pid(),
               launchReasonName(reason),
               reason == LaunchReason::events ? " (" + std::to_string(outbox_.pendingCount(session)) + " events waiting)" : "");
}

void AppLauncher::onExited(const std::string& session, const std::string& how) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  auto& s = it->second;
  const pid_t pid = s.running ? s.running->pid() : 0;
  s.running.reset();
  if (s.attach_deadline) s.attach_deadline->cancel();
  if (s.attached_since_launch) {
    spdlog::info("session {}: launched process {} ended ({})", session, pid, how);
  } else {
    ++s.schedule.failures;
    persist(s);
    spdlog::warn("session {}: launched process {} ended ({}) without attaching; {} in a row, next launch no sooner "
                 "than in {} s",
                 session, pid, how, s.schedule.failures, std::max<std::int64_t>(0, notBefore(s) - nowMs()) / 1000);
  }
  postConsider(session);
}

void AppLauncher::watchAttachDeadline(const std::string& session, SessionLaunch& s) {
  if (!s.attach_deadline) s.attach_deadline = std::make_unique<boost::asio::steady_timer>(io_);
  s.attach_deadline->expires_after(attach_timeout_);
  s.attach_deadline->async_wait([this, session](const boost::system::error_code& ec) {
    if (ec) return;  // attached, ended, or the launcher is gone
    auto it = sessions_.find(session);
    if (it == sessions_.end() || !it->second.running || it->second.attached_since_launch) return;
    auto& s = it->second;
    spdlog::warn("session {}: launched process {} has not attached within {} s; stopping it", session,
                 s.running->pid(), attach_timeout_.count());
    s.running->stop(false);
    s.attach_deadline->expires_after(std::chrono::seconds(5));
    s.attach_deadline->async_wait([this, session](const boost::system::error_code& grace_ec) {
      if (grace_ec) return;
      auto found = sessions_.find(session);
      if (found == sessions_.end() || !found->second.running) return;
      spdlog::warn("session {}: launched process {} ignored SIGTERM; killing it", session, found->second.running->pid());
      found->second.running->stop(true);
    });
  });
}

void AppLauncher::persist(const SessionLaunch& s) {
  writer_.submit(
      store::Durability::progress, [row = s.schedule](store::Store& st) { return st.upsertLaunchSchedule(row); },
      [session = s.schedule.session](Result<void> r) {
        if (!r) spdlog::warn("session {}: launch schedule not stored: {}", session, r.error().describe());
      });
}

std::optional<protocol::LaunchStatus> AppLauncher::status(const std::string& session) const {
  auto it = sessions_.find(session);
  if (it == sessions_.end() || !it->second.command) return std::nullopt;
  const auto& s = it->second;
  protocol::LaunchStatus l;
  l.argv = s.command->argv;
  l.working_directory = s.command->working_directory;
  l.min_interval = s.command->min_interval.count();
  l.refresh_interval = s.command->refresh_interval.count();
  if (s.running) {
    l.running_pid = s.running->pid();
    l.running_for = std::string(launchReasonName(s.running_reason));
  }
  l.launches = s.schedule.launches;
  l.failures = s.schedule.failures;
  l.last_launch_at = timeOrNone(s.schedule.last_launch_at);
  l.last_refresh_at = timeOrNone(s.schedule.last_refresh_at);
  l.next_refresh_at = timeOrNone(s.schedule.next_refresh_at);
  l.next_launch_not_before = timeOrNone(notBefore(s));
  return l;
}

}  // namespace ferry::daemon
