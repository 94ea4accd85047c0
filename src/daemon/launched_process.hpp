#pragma once
// One process ferryd started for an application (the launch command of daemon/app_launcher):
// spawned with posix_spawn, stdin from /dev/null, stdout and stderr into one pipe that the IPC
// loop reads line by line into the daemon log, and its exit noticed through a pidfd (no SIGCHLD
// handler, so the other threads never see EINTR from it). Nothing here blocks the loop.

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio.hpp>

#include "common/error.hpp"
#include "common/spawn.hpp"

namespace ferry::daemon {

// What to run: program (absolute), working directory and the whole environment. Its standard
// streams, process group and search_path are LaunchedProcess's to set.
using SpawnSpec = process::SpawnRequest;

class LaunchedProcess {
 public:
  // `exited` runs on the loop once the process has ended and been reaped, with a description
  // ("exit status 0", "killed by signal 9"). It is not called if this object is destroyed first.
  using Exited = std::function<void(const std::string& how)>;

  // Each output line is logged as "<log_prefix>: <line>".
  static Result<std::unique_ptr<LaunchedProcess>> spawn(boost::asio::io_context& io, const SpawnSpec& spec,
                                                        std::string log_prefix, Exited exited);
  // Leaves a running process running (ferryd stopping does not stop the application); its output
  // pipe closes, so further writes to it fail.
  ~LaunchedProcess();
  LaunchedProcess(const LaunchedProcess&) = delete;
  LaunchedProcess& operator=(const LaunchedProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Signals the process group the child leads (SIGTERM, or SIGKILL with `force`), unless reaped.
  void stop(bool force);

 private:
  struct OutputRelay;
  LaunchedProcess(boost::asio::io_context& io, pid_t pid, int pidfd);
  void waitForExit();

  pid_t pid_;
  bool reaped_ = false;
  boost::asio::posix::stream_descriptor pidfd_;
  std::shared_ptr<OutputRelay> output_;
  Exited exited_;
};

}  // namespace ferry::daemon
