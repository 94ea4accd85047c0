#include "common/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace ferry::process {
namespace {

// posix_spawn's attributes and file actions as RAII objects.
struct SpawnAttributes {
  posix_spawnattr_t attr;
  SpawnAttributes() { ::posix_spawnattr_init(&attr); }
  ~SpawnAttributes() { ::posix_spawnattr_destroy(&attr); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
};
struct SpawnFileActions {
  posix_spawn_file_actions_t actions;
  SpawnFileActions() { ::posix_spawn_file_actions_init(&actions); }
  ~SpawnFileActions() { ::posix_spawn_file_actions_destroy(&actions); }
  SpawnFileActions(const SpawnFileActions&) = delete;
  SpawnFileActions& operator=(const SpawnFileActions&) = delete;
};

std::vector<char*> cStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

void standardStream(SpawnFileActions& a, int fd, int target, int null_flags) {
  if (fd < 0)
    ::posix_spawn_file_actions_addopen(&a.actions, target, "/dev/null", null_flags, 0);
  else
    ::posix_spawn_file_actions_adddup2(&a.actions, fd, target);  // dup2 clears close-on-exec
}

}  // namespace

Result<pid_t> spawn(const SpawnRequest& request) {
  if (request.argv.empty() || request.argv[0].empty()) return fail(errc::invalid_argument, "no program to start");
  SpawnFileActions actions;
  standardStream(actions, request.stdin_fd, 0, O_RDONLY);
  standardStream(actions, request.stdout_fd, 1, O_WRONLY);
  standardStream(actions, request.stderr_fd, 2, O_WRONLY);
  const std::string directory = request.working_directory.empty() ? "/" : request.working_directory;
  ::posix_spawn_file_actions_addchdir_np(&actions.actions, directory.c_str());
  // Our sockets and files are not the child's business, close-on-exec or not.
  ::posix_spawn_file_actions_addclosefrom_np(&actions.actions, 3);

  SpawnAttributes attributes;
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  ::posix_spawnattr_setsigmask(&attributes.attr, &none);
  ::posix_spawnattr_setsigdefault(&attributes.attr, &all);  // our handlers and ignored signals stay here
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (request.new_session) {
    flags |= POSIX_SPAWN_SETSID;
  } else {
    ::posix_spawnattr_setpgroup(&attributes.attr, 0);
    flags |= POSIX_SPAWN_SETPGROUP;
  }
  ::posix_spawnattr_setflags(&attributes.attr, flags);

  auto argv = cStrings(request.argv);
  std::vector<char*> envp;
  if (request.environment) envp = cStrings(*request.environment);
  char* const* env = request.environment ? envp.data() : environ;
  pid_t pid = 0;
  const int rc = request.search_path
                     ? ::posix_spawnp(&pid, argv[0], &actions.actions, &attributes.attr, argv.data(), env)
                     : ::posix_spawn(&pid, argv[0], &actions.actions, &attributes.attr, argv.data(), env);
  if (rc != 0)
    return fail(errc::io, "could not start " + request.argv[0] + " in " + directory + ": " + std::strerror(rc));
  return pid;
}

void reapInBackground(pid_t pid) {
  std::thread([pid] {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }).detach();
}

}  // namespace ferry::process
