#include "daemon_launcher.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "common/files.hpp"
#include "common/paths.hpp"
#include "common/spawn.hpp"
#include "common/unique_fd.hpp"

namespace ferry {
namespace {

std::filesystem::path findFerryd() {
  if (const char* e = std::getenv("FERRYD"); e != nullptr && *e != '\0') return e;
  auto beside = paths::executableDirectory() / "ferryd";
  if (::access(beside.c_str(), X_OK) == 0) return beside;
  return "ferryd";  // posix_spawnp looks it up in $PATH
}

// ferryd is started in a session of its own (no terminal, not in the application's process group)
// with its output appended to ferryd.log. It is our child, so a thread reaps it whenever it exits;
// an application that outlives it never holds a zombie.
Result<void> spawnFerryd(const std::filesystem::path& socket) {
  auto state_dir = paths::defaultStateDir();
  if (auto made = files::makePrivateDirectory(state_dir, 0700); !made) return made;
  auto log_path = state_dir / "ferryd.log";
  UniqueFd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!log) return tl::unexpected(files::errnoError(errno, "open " + log_path.string()));
  // ferryd runs in "/" (it must not hold the application's directory busy), so every path it is
  // given is absolute: the socket, and the state directory a relative $FERRY_STATE_DIR names.
  process::SpawnRequest request;
  request.argv = {findFerryd().string(), "--socket", std::filesystem::absolute(socket).string(), "--state-dir",
                  std::filesystem::absolute(state_dir).string()};
  request.search_path = true;  // a bare "ferryd" is looked up in $PATH
  request.stdout_fd = log.get();
  request.stderr_fd = log.get();
  request.new_session = true;
  auto pid = process::spawn(request);
  if (!pid)
    return fail(errc::daemon_unavailable, "no ferryd answers on " + socket.string() + " and none could be started (" +
                                              pid.error().message + "); install ferryd, or name it in $FERRYD");
  process::reapInBackground(*pid);
  return {};
}

}  // namespace

Result<UniqueFd> connectToDaemon(const std::filesystem::path& socket) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket.string().size() >= sizeof addr.sun_path)
    return fail(errc::invalid_argument, "socket path " + socket.string() + " is too long for a Unix socket");
  std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return tl::unexpected(files::errnoError(errno, "socket"));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    if (err == EACCES || err == EPERM)
      return fail(errc::permission_denied, "cannot connect to " + socket.string() + ": " + std::strerror(err) +
                                               " (it belongs to another user; each user runs their own ferryd)");
    return fail(errc::daemon_unavailable, "no ferryd answers on " + socket.string() + " (" + std::strerror(err) + ")");
  }
  return fd;
}

Result<UniqueFd> connectOrStartDaemon(const std::filesystem::path& socket, bool start) {
  auto first = connectToDaemon(socket);
  if (first || !start || !first.error().is(errc::daemon_unavailable)) return first;
  if (auto spawned = spawnFerryd(socket); !spawned) return tl::unexpected(spawned.error());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    auto fd = connectToDaemon(socket);
    if (fd || !fd.error().is(errc::daemon_unavailable)) return fd;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fail(errc::daemon_unavailable, "started ferryd but it does not answer on " + socket.string() + "; see " +
                                            (paths::defaultStateDir() / "ferryd.log").string());
}

}  // namespace ferry
