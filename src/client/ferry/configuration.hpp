#pragma once
// How a Session behaves (URLSessionConfiguration).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "protocol/messages.hpp"

namespace ferry {

class Configuration {
 public:
  // Tasks run in ferryd and survive this process; events wait for the next attach with `identifier`.
  static Configuration background(std::string identifier) {
    Configuration c;
    c.identifier_ = std::move(identifier);
    return c;
  }

  const std::string& identifier() const { return identifier_; }

  Configuration& maxConcurrentTransfers(int n) { session_.max_concurrent = n; return *this; }
  Configuration& maxConnectionsPerHost(int n) { session_.max_per_host = n; return *this; }
  // A task that has not succeeded after this long (retrying transient failures) fails.
  Configuration& resourceTimeout(std::chrono::seconds t) { session_.resource_timeout = t; return *this; }
  Configuration& maxBytesPerSecond(std::uint64_t rate) { session_.max_bytes_per_second = rate; return *this; }
  // The daemon's socket; default $FERRY_SOCKET, else $XDG_RUNTIME_DIR/ferry/ferryd.sock.
  Configuration& socketPath(std::filesystem::path p) { socket_ = std::move(p); return *this; }
  // Whether to start ferryd when no daemon answers (default true, like D-Bus activation).
  Configuration& startDaemon(bool yes) { start_daemon_ = yes; return *this; }

  const protocol::SessionConfig& sessionConfig() const { return session_; }
  const std::filesystem::path& socketPath() const { return socket_; }
  bool startsDaemon() const { return start_daemon_; }

 private:
  Configuration() = default;
  std::string identifier_;
  protocol::SessionConfig session_;
  std::filesystem::path socket_;
  bool start_daemon_ = true;
};

}  // namespace ferry
