#include "daemon_launcher.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "common/files.hpp"
#include "common/paths.hpp"

namespace ferry {
namespace {

std::filesystem::path findFerryd() {
  if (const char* e = std::getenv("FERRYD"); e != nullptr && *e != '\0') return e;
  auto beside = paths::executableDirectory() / "ferryd";
  if (::access(beside.c_str(), X_OK) == 0) return beside;
  return "ferryd";  // execvp searches $PATH
}

Result<void> spawnFerryd(const std::filesystem::path& socket) {
  auto state_dir = paths::defaultStateDir();
  if (auto made = files::makePrivateDirectory(state_dir, 0700); !made) return made;
  auto log = state_dir / "ferryd.log";
  auto ferryd = findFerryd();
  pid_t child = ::fork();
  if (child < 0) return tl::unexpected(files::errnoError(errno, "fork"));
  if (child == 0) {
    // Double fork: ferryd is re-parented to init (or the subreaper) and outlives us without a zombie.
    ::setsid();
    if (::fork() != 0) _exit(0);
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (in >= 0) ::dup2(in, 0);
    if (out >= 0) {
      ::dup2(out, 1);
      ::dup2(out, 2);
    }
    for (int fd = 3; fd < 1024; ++fd) ::close(fd);
    std::string sock = socket.string();
    std::string exe = ferryd.string();
    char* argv[] = {exe.data(), const_cast<char*>("--socket"), sock.data(), nullptr};
    ::execvp(argv[0], argv);
    _exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
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
