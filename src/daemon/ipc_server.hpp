#pragma once
// The Unix socket ferryd listens on: a 0700 directory, a lock so only one daemon owns it, and a
// peer-credential check (SO_PEERCRED) on every connection.

#include <filesystem>

#include <boost/asio.hpp>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "daemon/client_connection.hpp"

namespace ferry::daemon {

class IpcServer {
 public:
  IpcServer(boost::asio::io_context& io, MessageHandler& handler);

  // Takes the lock beside the socket, removes a stale socket, binds and listens.
  // Fails with a clear error when another ferryd already owns the socket.
  // Under socket activation (systemd passes a listening Unix socket in LISTEN_FDS) that socket is
  // used instead, whatever `socket_path` says, and it is left in place at exit: systemd owns it.
  Result<void> listen(const std::filesystem::path& socket_path);
  bool socketActivated() const { return activated_; }
  const std::filesystem::path& socketPath() const { return socket_path_; }
  void stop();

 private:
  void acceptNext();
  Result<void> takeLock(const std::filesystem::path& socket_path);
  // The socket systemd passed, if any (consumes LISTEN_FDS so children do not see it).
  Result<bool> adoptActivatedSocket();

  boost::asio::io_context& io_;
  MessageHandler& handler_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  UniqueFd lock_;
  std::filesystem::path socket_path_;
  bool activated_ = false;
};

}  // namespace ferry::daemon
