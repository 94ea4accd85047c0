// Relaunch on events and background refresh: ferryd runs a session's launch command when events
// wait and no client is attached, rate-limited with back-off, and on a refresh schedule that
// survives its restart. The application is tests/apps/relaunch_app.cpp.

#include <signal.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness.hpp"
#include "protocol/daemon_status.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

struct Launch {
  std::string reason;
  std::int64_t at_ms = 0;
};

std::vector<Launch> launches(const std::filesystem::path& log) {
  std::vector<Launch> out;
  std::istringstream in(readFile(log));
  Launch l;
  long pid = 0;
  while (in >> l.reason >> l.at_ms >> pid) out.push_back(l);
  return out;
}

std::vector<Launch> launchesFor(const std::filesystem::path& log, const std::string& reason) {
  std::vector<Launch> out;
  for (const auto& l : launches(log))
    if (l.reason == reason) out.push_back(l);
  return out;
}

std::vector<std::string> lines(const std::filesystem::path& file) {
  std::vector<std::string> out;
  std::istringstream in(readFile(file));
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string relaunchApp() { return (binDir() / "ferry-test-relaunch-app").string(); }

// The session's entry of ferryd's status (an empty one when it is not there).
SessionStatus sessionStatus(const Ferryd& ferryd, const std::string& session) {
  auto status = ferryd.control()->status();
  if (!status) return {};
  const SessionStatus* s = status->session(session);
  return s ? *s : SessionStatus{};
}

std::string describe(const SessionStatus& s) {
  DaemonStatus status;
  status.sessions = {s};
  return protocol::daemonStatusToJson(status)["sessions"][0].dump();
}

}  // namespace

// The application hands over a download and exits; ferryd relaunches it once the download is done;
// it gets didFinishDownloadingTo (moves the file), didComplete and didFinishEvents, and exits.
TEST(Relaunch, ApplicationIsRelaunchedOnceForItsFinishedDownload) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  std::filesystem::create_directories(dir / "app");
  writeRandomFile(dir / "www/movie.bin", 3 * MiB, 51);
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();

  auto handed = runCommand({relaunchApp(), "com.example.relaunch", (dir / "app").string(), "--url", nginx.url("/movie.bin"),
                            "--min-interval", "1"},
                           ferryd.env());
  ASSERT_EQ(handed.exit_code, 0) << handed.out;

  const auto got = dir / "app/got/task-1";
  ASSERT_TRUE(waitUntil([&] { return lines(dir / "app/events.log").size() >= 3; }, std::chrono::seconds(120)))
      << ferryd.log();
  // The relaunched process has ended and nothing waits for it.
  ASSERT_TRUE(waitUntil([&] {
    auto s = sessionStatus(ferryd, "com.example.relaunch");
    return !s.id.empty() && s.launch && !s.launch->running_pid && s.pending_events == 0;
  }, std::chrono::seconds(60))) << describe(sessionStatus(ferryd, "com.example.relaunch")) << ferryd.log();
  EXPECT_EQ(sha256File(got), sha256File(dir / "www/movie.bin"));
  EXPECT_EQ(lines(dir / "app/events.log"), (std::vector<std::string>{"finish 1", "complete 1 ok", "drained"}));

  // Longer than the launch interval: had anything been left for it, ferryd would launch again.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  auto runs = launches(dir / "app/launches.log");
  ASSERT_EQ(runs.size(), 2u) << readFile(dir / "app/launches.log");
  EXPECT_EQ(runs[0].reason, "manual");
  EXPECT_EQ(runs[1].reason, "events");
  auto status = sessionStatus(ferryd, "com.example.relaunch");
  ASSERT_TRUE(status.launch) << describe(status);
  EXPECT_EQ(status.launch->launches, 1);
  EXPECT_EQ(status.launch->failures, 0);
  // Its output is in ferryd's log, under the session's name.
  EXPECT_NE(ferryd.log().find("session com.example.relaunch (launched for events): relaunch app started (events)"),
            std::string::npos)
      << ferryd.log();

  auto shown = ferryd.ferryctl({"status"});
  EXPECT_EQ(shown.exit_code, 0) << shown.out;
  EXPECT_NE(shown.out.find("launch: " + relaunchApp() + " com.example.relaunch"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("1 launches"), std::string::npos) << shown.out;
}

// A launch command that never attaches is run no more often than min_interval, and each failed run
// doubles the wait (1 s interval: runs ~2 s, then ~4 s apart); never two at once.
TEST(Relaunch, CommandThatNeverAttachesIsRateLimitedWithBackoff) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/small.bin", 64 * 1024, 52);
  NginxServer nginx({dir / "www", "", ""});
  const auto script = dir / "never-attaches.sh";
  const auto stamps = dir / "stamps";
  writeFile(script, "#!/bin/sh\necho \"start $(date +%s%3N)\" >> '" + stamps.string() +
                        "'\necho never attaching\nsleep 1\necho \"end $(date +%s%3N)\" >> '" + stamps.string() + "'\n");
  ::chmod(script.c_str(), 0755);
  Ferryd ferryd(dir.path());
  ferryd.start();
  {
    auto delegate = std::make_shared<RecordingDelegate>();
    auto session = Session::create(
        ferryd.config("com.example.never").launchCommand({script.string()}).minLaunchInterval(std::chrono::seconds(1)),
        delegate);
    ASSERT_TRUE(session) << session.error().describe();
    auto task = (*session)->downloadTask(Request(nginx.url("/small.bin")));
    ASSERT_TRUE(task);
  }
  // Started once no client is attached: its events wait in the outbox.
  ASSERT_TRUE(ferryd.control()->resume(1));

  ASSERT_TRUE(waitUntil([&] { return lines(stamps).size() >= 6; }, std::chrono::seconds(90))) << ferryd.log();
  auto entries = lines(stamps);
  std::vector<std::int64_t> starts;
  std::vector<std::int64_t> ends;
  for (const auto& line : entries) (line.rfind("start ", 0) == 0 ? starts : ends).push_back(std::stoll(line.substr(line.find(' ') + 1)));
  ASSERT_GE(starts.size(), 3u);
  ASSERT_GE(ends.size(), 2u);
  // Never two at once: each run starts after the one before has ended.
  EXPECT_GE(starts[1], ends[0]) << readFile(stamps);
  EXPECT_GE(starts[2], ends[1]) << readFile(stamps);
  // Back-off: 2 s, then 4 s between starts (lower bounds; a slow machine only makes them longer;
  // the slack is for the shell's own start-up, which the script's clock includes).
  EXPECT_GE(starts[1] - starts[0], 1500) << readFile(stamps);
  EXPECT_GE(starts[2] - starts[1], 3500) << readFile(stamps);

  EXPECT_NE(ferryd.log().find("without attaching"), std::string::npos) << ferryd.log();
  EXPECT_NE(ferryd.log().find("session com.example.never (launched for events): never attaching"), std::string::npos)
      << ferryd.log();
  auto status = sessionStatus(ferryd, "com.example.never");
  ASSERT_TRUE(status.launch) << describe(status);
  EXPECT_GE(status.launch->failures, 2) << describe(status);

  // An application that does attach ends the back-off.
  {
    auto delegate = std::make_shared<RecordingDelegate>();
    auto session = Session::create(
        ferryd.config("com.example.never").launchCommand({script.string()}).minLaunchInterval(std::chrono::seconds(1)),
        delegate);
    ASSERT_TRUE(session) << session.error().describe();
    ASSERT_TRUE((*session)->waitForEventsDrained(std::chrono::seconds(30)));
    auto attached = sessionStatus(ferryd, "com.example.never");
    ASSERT_TRUE(attached.launch) << describe(attached);
    EXPECT_EQ(attached.launch->failures, 0);
  }
}

// Background refresh: the launch command runs every refresh interval with
// FERRY_LAUNCH_REASON=refresh; the schedule survives a restart of ferryd, and the runs missed while
// it was down make one run at once, not one each.
TEST(Relaunch, RefreshRunsOnScheduleAndCoalescesMissedRunsAcrossRestart) {
  TempDir dir;
  std::filesystem::create_directories(dir / "app");
  Ferryd ferryd(dir.path());
  ferryd.start();
  constexpr std::int64_t kRefreshMs = 4000;
  auto first = runCommand({relaunchApp(), "com.example.refresh", (dir / "app").string(), "--refresh", "4",
                           "--min-interval", "1"},
                          ferryd.env());
  ASSERT_EQ(first.exit_code, 0) << first.out;
  const auto log = dir / "app/launches.log";
  ASSERT_TRUE(waitUntil([&] { return launchesFor(log, "refresh").size() >= 2; }, std::chrono::seconds(90)))
      << readFile(log) << ferryd.log();
  auto runs = launches(log);
  ASSERT_EQ(runs[0].reason, "manual");
  auto refreshes = launchesFor(log, "refresh");
  // On schedule: not before the interval has passed (slack for the process's start-up).
  EXPECT_GE(refreshes[0].at_ms - runs[0].at_ms, kRefreshMs - 1000) << readFile(log);
  EXPECT_GE(refreshes[1].at_ms - refreshes[0].at_ms, kRefreshMs - 1000) << readFile(log);
  auto status = sessionStatus(ferryd, "com.example.refresh");
  ASSERT_TRUE(status.launch) << describe(status);
  EXPECT_EQ(status.launch->refresh_interval, 4) << describe(status);
  EXPECT_TRUE(status.launch->next_refresh_at) << describe(status);

  ferryd.terminate();
  // Let a refresh that was running end (it cannot attach any more) and three intervals pass.
  std::this_thread::sleep_for(std::chrono::milliseconds(3 * kRefreshMs + 1000));
  const auto before_restart = launchesFor(log, "refresh").size();
  const auto restarted_at = nowMs();
  ferryd.start();
  ASSERT_TRUE(waitUntil([&] { return launchesFor(log, "refresh").size() >= before_restart + 2; }, std::chrono::seconds(90)))
      << readFile(log) << ferryd.log();
  refreshes = launchesFor(log, "refresh");
  const auto coalesced = refreshes[before_restart];
  const auto next = refreshes[before_restart + 1];
  // The due time was kept: the overdue refresh runs at once (a forgotten schedule would start a new
  // interval from the restart).
  EXPECT_LT(coalesced.at_ms - restarted_at, kRefreshMs) << readFile(log);
  // One run for the three missed, then the schedule goes on from it.
  EXPECT_GE(next.at_ms - coalesced.at_ms, kRefreshMs - 1000) << readFile(log);
  EXPECT_EQ(lines(dir / "app/events.log").back(), "drained");
}

// Bad launch commands get a clear error at attach; ferryd goes on serving.
TEST(Relaunch, BadLaunchCommandsAreRefusedAtAttach) {
  TempDir dir;
  writeFile(dir / "not-executable.sh", "#!/bin/sh\n");
  ::chmod((dir / "not-executable.sh").c_str(), 0644);
  Ferryd ferryd(dir.path());
  ferryd.start();
  struct Case {
    std::vector<std::string> argv;
    std::string working_directory;
    std::vector<std::string> environment;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{}, "", {}, "argv is empty"},
      {{""}, "", {}, "argv is empty"},
      {{"relative/app"}, "", {}, "is not an absolute path; ferryd does not search PATH"},
      {{"/nonexistent/app"}, "", {}, "the program /nonexistent/app cannot be used (No such file or directory)"},
      {{(dir / "not-executable.sh").string()}, "", {}, "is not executable"},
      {{dir.path().string()}, "", {}, "is not a regular file"},
      {{"/bin/true"}, "relative", {}, "working_directory \"relative\" must be an absolute path"},
      {{"/bin/true"}, "/nonexistent", {}, "the working directory /nonexistent is not a directory"},
      {{"/bin/true"}, "", {"HOME=/tmp"}, "\"HOME=/tmp\" in environment is not a variable name"},
      {{"/bin/true"}, "", {"1X"}, "not a variable name"},
      {{"/bin/true"}, "", {"FERRY_SOCKET"}, "FERRY_SOCKET is set by ferryd"},
  };
  for (const auto& c : cases) {
    auto session = Session::create(ferryd.config("com.example.bad").launchCommand(c.argv, c.working_directory, c.environment),
                                   std::make_shared<RecordingDelegate>());
    ASSERT_FALSE(session) << c.message;
    EXPECT_EQ(session.error().code, errc::invalid_argument) << c.message;
    EXPECT_NE(session.error().message.find("launch command: "), std::string::npos) << session.error().message;
    EXPECT_NE(session.error().message.find(c.message), std::string::npos) << session.error().message;
  }
  auto zero = Session::create(ferryd.config("com.example.bad").launchCommand({"/bin/true"}).minLaunchInterval(std::chrono::seconds(0)),
                              std::make_shared<RecordingDelegate>());
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().message.find("min_interval must be a whole number of seconds from 1"), std::string::npos)
      << zero.error().message;
  EXPECT_TRUE(ferryd.running());
  auto good = Session::create(ferryd.config("com.example.bad").launchCommand({"/bin/true"}, "/", {"HOME"}),
                              std::make_shared<RecordingDelegate>());
  ASSERT_TRUE(good) << good.error().describe();
  auto good_status = sessionStatus(ferryd, "com.example.bad");
  ASSERT_TRUE(good_status.launch && !good_status.launch->argv.empty()) << describe(good_status);
  EXPECT_EQ(good_status.launch->argv[0], "/bin/true");
}

// What the launched process gets: its working directory, the allowed variables of ferryd's
// environment and ferryd's three, nothing else — and none of ferryd's descriptors.
TEST(Relaunch, LaunchedProcessGetsItsDirectoryOnlyAllowedVariablesAndNoDescriptors) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  std::filesystem::create_directories(dir / "work");
  writeRandomFile(dir / "www/small.bin", 1024, 53);
  NginxServer nginx({dir / "www", "", ""});
  const auto script = dir / "inspect.sh";
  const auto out = dir / "out";
  writeFile(script, "#!/bin/sh\nfds=$(for fd in /proc/$$/fd/*; do echo \"fd ${fd##*/} -> $(readlink \"$fd\")\"; done)\n"
                    "{ echo \"pwd=$(pwd)\"; env; echo \"$fds\"; } > '" + out.string() + ".tmp'\n"
                    "mv '" + out.string() + ".tmp' '" + out.string() + "'\n");
  ::chmod(script.c_str(), 0755);
  ::setenv("FERRY_TEST_PASSED_ON", "yes please", 1);
  ::setenv("FERRY_TEST_KEPT_BACK", "secret", 1);
  Ferryd ferryd(dir.path());
  ferryd.start();
  {
    auto session = Session::create(ferryd.config("com.example.inspect")
                                       .launchCommand({script.string()}, (dir / "work").string(),
                                                      {"FERRY_TEST_PASSED_ON", "FERRY_TEST_UNSET_ANYWHERE"})
                                       .minLaunchInterval(std::chrono::seconds(60)),
                                   std::make_shared<RecordingDelegate>());
    ASSERT_TRUE(session) << session.error().describe();
    ASSERT_TRUE((*session)->downloadTask(Request(nginx.url("/small.bin"))));
  }
  ASSERT_TRUE(ferryd.control()->resume(1));
  ASSERT_TRUE(waitUntil([&] { return std::filesystem::exists(out); }, std::chrono::seconds(60))) << ferryd.log();
  auto got = lines(out);
  auto has = [&](const std::string& line) { return std::find(got.begin(), got.end(), line) != got.end(); };
  EXPECT_TRUE(has("pwd=" + (dir / "work").string())) << readFile(out);
  EXPECT_TRUE(has("FERRY_TEST_PASSED_ON=yes please")) << readFile(out);
  EXPECT_TRUE(has("FERRY_SESSION=com.example.inspect")) << readFile(out);
  EXPECT_TRUE(has("FERRY_SOCKET=" + ferryd.socket().string())) << readFile(out);
  EXPECT_TRUE(has("FERRY_LAUNCH_REASON=events")) << readFile(out);
  const auto text = readFile(out);
  EXPECT_EQ(text.find("FERRY_TEST_KEPT_BACK"), std::string::npos) << text;
  EXPECT_EQ(text.find("FERRY_TEST_UNSET_ANYWHERE"), std::string::npos) << text;
  EXPECT_EQ(text.find("FERRY_STATE_DIR"), std::string::npos) << text;
  // Descriptors: stdin, the output pipe, and whatever the shell opened itself (its script); no
  // socket of ferryd's, no database, no partial file.
  EXPECT_TRUE(has("fd 0 -> /dev/null")) << text;
  EXPECT_NE(text.find("fd 1 -> pipe:"), std::string::npos) << text;
  EXPECT_NE(text.find("fd 2 -> pipe:"), std::string::npos) << text;
  EXPECT_EQ(text.find("socket:"), std::string::npos) << text;
  EXPECT_EQ(text.find(ferryd.stateDir().string()), std::string::npos) << text;
  ::unsetenv("FERRY_TEST_PASSED_ON");
  ::unsetenv("FERRY_TEST_KEPT_BACK");
}

// A launched program that neither attaches nor exits is stopped after --launch-attach-timeout
// (SIGTERM to its process group, SIGKILL 5 s later if it holds on), counts as a failed launch, and
// the session is launched again: one hung program does not end its relaunches.
TEST(Relaunch, HungLaunchIsStoppedAndTheSessionLaunchedAgain) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/small.bin", 1024, 54);
  NginxServer nginx({dir / "www", "", ""});
  const auto script = dir / "hangs.sh";
  const auto pids = dir / "pids";
  writeFile(script, "#!/bin/sh\ntrap '' TERM\necho $$ >> '" + pids.string() + "'\nwhile :; do sleep 1; done\n");
  ::chmod(script.c_str(), 0755);
  Ferryd ferryd(dir.path(), {"--launch-attach-timeout", "2"});
  ferryd.start();
  {
    auto session = Session::create(
        ferryd.config("com.example.hangs").launchCommand({script.string()}).minLaunchInterval(std::chrono::seconds(1)),
        std::make_shared<RecordingDelegate>());
    ASSERT_TRUE(session) << session.error().describe();
    ASSERT_TRUE((*session)->downloadTask(Request(nginx.url("/small.bin"))));
  }
  ASSERT_TRUE(ferryd.control()->resume(1));
  ASSERT_TRUE(waitUntil([&] { return lines(pids).size() >= 2; }, std::chrono::seconds(90))) << ferryd.log();
  const auto first = static_cast<pid_t>(std::stol(lines(pids)[0]));
  EXPECT_NE(::kill(first, 0), 0) << "the first launch still runs";  // killed and reaped
  const auto log = ferryd.log();
  EXPECT_NE(log.find("has not attached within 2 s; stopping it"), std::string::npos) << log;
  EXPECT_NE(log.find("ignored SIGTERM; killing it"), std::string::npos) << log;
  EXPECT_NE(log.find("ended (killed by signal 9) without attaching"), std::string::npos) << log;
  for (const auto& pid : lines(pids)) ::kill(-static_cast<pid_t>(std::stol(pid)), SIGKILL);  // the launch still running
}
