#include "body_stream_pump.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <vector>

#include "common/files.hpp"

namespace ferry {

Result<std::unique_ptr<BodyStreamPump>> BodyStreamPump::open(const std::filesystem::path& pipe) {
  // Non-blocking: the open fails (ENXIO) instead of waiting if ferryd no longer holds the read
  // end, and writes below wait with poll so that a stop is noticed.
  UniqueFd fd(::open(pipe.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return tl::unexpected(files::errnoError(errno, "cannot open ferryd's body-stream pipe " + pipe.string()));
  return std::unique_ptr<BodyStreamPump>(new BodyStreamPump(std::move(fd)));
}

void BodyStreamPump::start(std::unique_ptr<std::istream> body, Ended ended) {
  thread_ = std::thread([this, body = std::move(body), ended = std::move(ended)]() mutable {
    run(std::move(body), std::move(ended));
  });
}

BodyStreamPump::~BodyStreamPump() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void BodyStreamPump::run(std::unique_ptr<std::istream> body, Ended ended) {
  // A write to a pipe whose reader went away raises SIGPIPE in the writing thread, which would
  // end the application: block it here, so the write fails with EPIPE instead.
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);

  std::vector<char> buffer(256 * 1024);
  std::uint64_t total = 0;
  bool ok = true;
  while (ok && !stop_ && *body) {
    body->read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto n = static_cast<std::size_t>(body->gcount());
    if (n > 0) ok = writeAll(buffer.data(), n);
    total += ok ? n : 0;
  }
  if (ok && !stop_ && body->eof()) ended(total);  // only a stream read to its end is complete
  fd_.reset();
  const timespec zero{0, 0};
  while (sigtimedwait(&pipe_signal, nullptr, &zero) > 0) {
  }  // a SIGPIPE this thread raised must not outlive it as pending
  finished_ = true;
}

bool BodyStreamPump::writeAll(const char* data, std::size_t size) {
  while (size > 0) {
    if (stop_) return false;
    ssize_t n = ::write(fd_.get(), data, size);
    if (n > 0) {
      data += n;
      size -= static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd p{fd_.get(), POLLOUT, 0};
      ::poll(&p, 1, 100);
      continue;
    }
    return false;  // EPIPE: ferryd stopped reading (the task was suspended, cancelled, or ferryd went)
  }
  return true;
}

}  // namespace ferry
