#pragma once
// Starting a program: the one place Ferry creates a process. posix_spawn(3) (vfork-like, no
// fork of a big multi-threaded process, nothing run in the child between fork and exec), with
// the child's signals reset, descriptors 3 and up closed, and stdin/stdout/stderr as asked.
// Used by libferry to start ferryd and by ferryd to launch an application.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace ferry::process {

struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0]: a path, or (search_path) a name looked up in $PATH
  bool search_path = false;
  std::string working_directory;  // empty: "/"
  // The whole environment ("NAME=value"); none: the caller's own.
  std::optional<std::vector<std::string>> environment;
  // Descriptors that become the child's 0, 1 and 2; -1: /dev/null. The caller keeps and closes them.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  // A new session (setsid): no controlling terminal, outlives the caller's session, as a daemon.
  // Otherwise a new process group, so a Ctrl-C or a group kill meant for the caller is not its.
  bool new_session = false;
};

// The child's pid; the caller reaps it (waitpid). An error names the program and why it could
// not be started (ENOENT, EACCES, ...).
Result<pid_t> spawn(const SpawnRequest& request);

// Reaps `pid` on a detached thread whenever it exits, for a child that may outlive all interest
// in it (libferry's ferryd) and must not stay a zombie.
void reapInBackground(pid_t pid);

}  // namespace ferry::process
