#include "ipc_connection.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "common/paths.hpp"
#include "daemon_launcher.hpp"

namespace ferry {
namespace {

// A reply whose "ok" is not the boolean true failed: a daemon bug must not throw in the application.
bool replySucceeded(const protocol::Json& reply) {
  const auto ok = reply.find("ok");
  return ok != reply.end() && ok->is_boolean() && ok->get<bool>();
}

}  // namespace

using protocol::Json;

Result<std::unique_ptr<IpcConnection>> IpcConnection::open(Options options) {
  if (options.socket.empty()) options.socket = paths::defaultSocket();
  std::unique_ptr<IpcConnection> c(new IpcConnection(std::move(options)));
  if (::pipe2(c->wake_pipe_, O_CLOEXEC) != 0) return fail(errc::io, "pipe failed");
  if (auto greeted = c->connectAndGreet(); !greeted) return tl::unexpected(greeted.error());
  c->reader_ = std::thread([raw = c.get()] { raw->readerLoop(); });
  return c;
}

IpcConnection::~IpcConnection() {
  stopping_ = true;
  if (wake_pipe_[1] >= 0) (void)!::write(wake_pipe_[1], "x", 1);
  if (reader_.joinable()) reader_.join();
  failPending(Error(errc::daemon_unavailable, "the connection was closed"));
  for (int fd : wake_pipe_)
    if (fd >= 0) ::close(fd);
}

Result<void> IpcConnection::connectAndGreet() {
  auto fd = connectOrStartDaemon(options_.socket, options_.start_daemon);
  if (!fd) return tl::unexpected(fd.error());
  Json hello = options_.hello.encode();
  hello["id"] = 0;
  std::string line = protocol::toLine(hello);
  if (::send(fd->get(), line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size()))
    return fail(errc::daemon_unavailable, "ferryd closed the connection during hello");
  read_buffer_.clear();
  auto reply_line = readLine(fd->get());
  if (!reply_line) return tl::unexpected(reply_line.error());
  auto reply = protocol::parseLine(*reply_line, protocol::kMaxDaemonLineBytes);
  if (!reply) return tl::unexpected(reply.error());
  if (!replySucceeded(*reply)) return tl::unexpected(protocol::errorFromJson(reply->value("error", Json::object())));
  hello_result_ = reply->value("result", Json::object());
  std::lock_guard lock(write_mutex_);
  fd_ = std::move(*fd);
  return {};
}

Result<std::string> IpcConnection::readLine(int fd) {
  // Only the bytes read since the last look are searched: a reply of tens of megabytes arrives in
  // thousands of reads, and searching from the start each time was quadratic.
  std::size_t searched = 0;
  for (;;) {
    auto nl = read_buffer_.find('\n', searched);
    if (nl != std::string::npos) {
      std::string line = read_buffer_.substr(0, nl);
      read_buffer_.erase(0, nl + 1);
      return line;
    }
    searched = read_buffer_.size();
    if (read_buffer_.size() > protocol::kMaxDaemonLineBytes)
      return fail(errc::protocol, "ferryd sent a line longer than " + std::to_string(protocol::kMaxDaemonLineBytes >> 20) + " MiB");
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    int r = ::poll(fds, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (stopping_ || (fds[1].revents & POLLIN)) return fail(errc::daemon_unavailable, "closing");
    char buf[65536];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail(errc::daemon_unavailable, "ferryd closed the connection");
    read_buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

bool IpcConnection::writeLine(const std::string& line) {
  std::lock_guard lock(write_mutex_);
  std::size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::send(fd_.get(), line.data() + off, line.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

void IpcConnection::failPending(const Error& error) {
  std::lock_guard lock(pending_mutex_);
  for (auto& [id, slot] : pending_)
    if (!slot) slot = tl::unexpected(error);
  replied_.notify_all();
}

void IpcConnection::readerLoop() {
  while (!stopping_) {
    auto line = readLine(fd_.get());
    if (!line) {
      if (stopping_) return;
      failPending(Error(errc::daemon_unavailable, "ferryd went away while the request was in flight; try again"));
      if (!options_.reconnect) return;
      // ferryd restarts (or is started again): say hello again and go on receiving events.
      while (!stopping_) {
        if (connectAndGreet()) break;
        pollfd wake{wake_pipe_[0], POLLIN, 0};
        ::poll(&wake, 1, 200);
      }
      continue;
    }
    auto message = protocol::parseLine(*line, protocol::kMaxDaemonLineBytes);
    if (!message) continue;  // a daemon bug must not take the application down
    if (message->value("type", "") == protocol::type::reply && message->contains("id") && (*message)["id"].is_number_unsigned()) {
      auto id = (*message)["id"].get<std::uint64_t>();
      std::lock_guard lock(pending_mutex_);
      auto it = pending_.find(id);
      if (it != pending_.end()) {
        if (replySucceeded(*message))
          it->second = message->value("result", Json::object());
        else
          it->second = tl::unexpected(protocol::errorFromJson(message->value("error", Json::object())));
        replied_.notify_all();
      }
      continue;
    }
    if (options_.on_event) options_.on_event(*message);
  }
}

Result<Json> IpcConnection::request(Json message, std::chrono::milliseconds timeout) {
  auto id = next_id_++;
  message["id"] = id;
  {
    std::lock_guard lock(pending_mutex_);
    pending_[id];
  }
  if (!writeLine(protocol::toLine(message))) {
    std::lock_guard lock(pending_mutex_);
    pending_.erase(id);
    return fail(errc::daemon_unavailable, "ferryd is not reachable; it is being restarted, try again");
  }
  std::unique_lock lock(pending_mutex_);
  bool done = replied_.wait_for(lock, timeout, [&] { return pending_[id].has_value(); });
  Result<Json> result = done ? *pending_[id] : fail(errc::daemon_unavailable, "ferryd did not answer in time");
  pending_.erase(id);
  return result;
}

void IpcConnection::post(const Json& message) { (void)writeLine(protocol::toLine(message)); }

}  // namespace ferry
