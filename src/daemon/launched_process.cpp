#include "daemon/launched_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include <spdlog/spdlog.h>

#include "common/files.hpp"
#include "common/spawn.hpp"
#include "common/unique_fd.hpp"

namespace ferry::daemon {

namespace {

int pidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

std::string describeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

}  // namespace

// Reads the child's output and logs it line by line; keeps itself alive through its pending read
// until the pipe's last writer (the child, or a grandchild) closes it.
struct LaunchedProcess::OutputRelay : std::enable_shared_from_this<OutputRelay> {
  static constexpr std::size_t kMaxLine = 4096;  // longer lines are logged in pieces

  OutputRelay(boost::asio::io_context& io, int fd, std::string prefix) : pipe(io, fd), prefix(std::move(prefix)) {}

  void readMore() {
    pipe.async_read_some(boost::asio::buffer(buffer), [self = shared_from_this()](const boost::system::error_code& ec,
                                                                                   std::size_t n) {
      self->take(std::string_view(self->buffer.data(), n));
      if (ec) {  // EOF or the descriptor was closed
        if (!self->line.empty()) self->emit();
        return;
      }
      self->readMore();
    });
  }

  void take(std::string_view bytes) {
    for (char ch : bytes) {
      if (ch == '\n') {
        emit();
        continue;
      }
      line.push_back(ch);
      if (line.size() >= kMaxLine) emit();
    }
  }

  void emit() {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    spdlog::info("{}: {}", prefix, line);
    line.clear();
  }

  boost::asio::posix::stream_descriptor pipe;
  std::string prefix;
  std::array<char, 4096> buffer{};
  std::string line;
};

Result<std::unique_ptr<LaunchedProcess>> LaunchedProcess::spawn(boost::asio::io_context& io, const SpawnSpec& spec,
                                                                std::string log_prefix, Exited exited) {
  if (spec.argv.empty()) return fail(errc::invalid_argument, "launch command has no program");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return tl::unexpected(files::errnoError(errno, "create a pipe for a launch"));
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);

  // stdin from /dev/null; stdout and stderr into the pipe; its own process group, so a Ctrl-C for
  // ferryd is not the application's.
  process::SpawnRequest request = spec;
  request.search_path = false;
  request.stdin_fd = -1;
  request.stdout_fd = write_end.get();
  request.stderr_fd = write_end.get();
  request.new_session = false;
  auto spawned = process::spawn(request);
  if (!spawned) return tl::unexpected(spawned.error());
  const pid_t pid = *spawned;
  write_end.reset();  // the child holds the only write end now: EOF comes when it (and its children) close it

  const int pidfd = pidfdOpen(pid);  // the child is ours and unreaped: its pid cannot have been reused
  if (pidfd < 0) {
    const int error = errno;
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return tl::unexpected(files::errnoError(error, "watch launched process " + std::to_string(pid) + " (pidfd_open)"));
  }
  std::unique_ptr<LaunchedProcess> process(new LaunchedProcess(io, pid, pidfd));
  process->exited_ = std::move(exited);
  process->output_ = std::make_shared<OutputRelay>(io, read_end.release(), std::move(log_prefix));
  process->output_->readMore();
  process->waitForExit();
  return process;
}

LaunchedProcess::LaunchedProcess(boost::asio::io_context& io, pid_t pid, int pidfd) : pid_(pid), pidfd_(io, pidfd) {}

LaunchedProcess::~LaunchedProcess() {
  boost::system::error_code ignored;
  pidfd_.cancel(ignored);  // the pending wait completes with operation_aborted and touches nothing
}

void LaunchedProcess::stop(bool force) {
  // Unreaped, so `pid_` is still ours; its group takes the application's own children along.
  if (!reaped_) ::kill(-pid_, force ? SIGKILL : SIGTERM);
}

void LaunchedProcess::waitForExit() {
  pidfd_.async_wait(boost::asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
    if (ec == boost::asio::error::operation_aborted) return;  // destroyed: `this` is gone
    int status = 0;
    const pid_t got = ::waitpid(pid_, &status, WNOHANG);
    if (got == 0 && !ec) return waitForExit();  // woken early: still running
    reaped_ = true;
    const std::string how = got == pid_ ? describeWaitStatus(status) : "ended (its status was lost)";
    if (exited_) {
      auto exited = std::move(exited_);  // may destroy this object
      exited(how);
    }
  });
}

}  // namespace ferry::daemon
