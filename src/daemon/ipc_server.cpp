#include "daemon/ipc_server.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "common/files.hpp"

namespace ferry::daemon {

IpcServer::IpcServer(boost::asio::io_context& io, MessageHandler& handler)
    : io_(io), handler_(handler), acceptor_(io) {}

Result<void> IpcServer::listen(const std::filesystem::path& socket_path) {
  socket_path_ = socket_path;
  auto activated = adoptActivatedSocket();
  if (!activated) return tl::unexpected(activated.error());
  if (*activated) {
    activated_ = true;
    if (auto locked = takeLock(socket_path_); !locked) return locked;
    acceptNext();
    return {};
  }
  auto dir = socket_path.parent_path();
  if (auto made = files::makePrivateDirectory(dir, 0700); !made) return made;
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0 || st.st_uid != ::geteuid())
    return fail(errc::permission_denied, "socket directory " + dir.string() + " is not owned by this user; choose another --socket");
  if (auto locked = takeLock(socket_path); !locked) return locked;

  // We hold the lock: any socket file left here is from a daemon that died.
  ::unlink(socket_path.c_str());
  boost::system::error_code ec;
  boost::asio::local::stream_protocol::endpoint endpoint(socket_path.string());
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(errc::io, "cannot listen on " + socket_path.string() + ": " + ec.message());
  ::chmod(socket_path.c_str(), 0600);
  acceptNext();
  return {};
}

Result<void> IpcServer::takeLock(const std::filesystem::path& socket_path) {
  auto lock_path = socket_path;
  lock_path += ".lock";
  lock_ = UniqueFd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock_) return tl::unexpected(files::errnoError(errno, "open " + lock_path.string()));
  if (::flock(lock_.get(), LOCK_EX | LOCK_NB) != 0)
    return fail(errc::already_attached, "another ferryd is already serving " + socket_path.string());
  return {};
}

Result<bool> IpcServer::adoptActivatedSocket() {
  const int count = ::sd_listen_fds(1);
  if (count <= 0) return false;  // started by hand, by libferry or by ferryctl: bind our own
  if (count > 1)
    return fail(errc::invalid_argument, "systemd passed " + std::to_string(count) +
                                            " sockets; ferryd.socket must have exactly one ListenStream=");
  const int fd = SD_LISTEN_FDS_START;
  if (::sd_is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0) <= 0)
    return fail(errc::invalid_argument, "the socket systemd passed is not a listening Unix stream socket; "
                                        "ferryd.socket needs ListenStream=%t/ferry/ferryd.sock");
  sockaddr_un address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0 && address.sun_path[0] != '\0')
    socket_path_ = address.sun_path;  // the lock goes beside the real socket
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  boost::system::error_code ec;
  acceptor_.assign(boost::asio::local::stream_protocol(), fd, ec);
  if (ec) return fail(errc::io, "cannot use the socket systemd passed: " + ec.message());
  spdlog::info("socket activation: serving the socket systemd passed ({})", socket_path_.string());
  return true;
}

void IpcServer::acceptNext() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, ClientConnection::Socket socket) {
    if (ec) {
      if (ec != boost::asio::error::operation_aborted) {
        spdlog::warn("accept failed: {}", ec.message());
        acceptNext();
      }
      return;
    }
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != ::geteuid()) {
      spdlog::warn("refused a connection from uid {} pid {} (ferryd serves uid {} only)", cred.uid, cred.pid, ::geteuid());
      auto conn = std::make_shared<ClientConnection>(std::move(socket), handler_, cred.pid);
      conn->sendError(nullptr, Error(errc::permission_denied,
                                     "this ferryd serves uid " + std::to_string(::geteuid()) +
                                         " only; start your own ferryd (each user has one)"));
      // Give the error a moment to leave before closing.
      auto timer = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::milliseconds(100));
      timer->async_wait([conn, timer](const boost::system::error_code&) { conn->close(); });
      acceptNext();
      return;
    }
    auto conn = std::make_shared<ClientConnection>(std::move(socket), handler_, cred.pid);
    conn->start();
    acceptNext();
  });
}

void IpcServer::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  if (!activated_) ::unlink(socket_path_.c_str());  // an activated socket stays: systemd listens again
}

}  // namespace ferry::daemon
