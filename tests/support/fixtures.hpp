#pragma once
// Shared test fixtures: temporary directories, test files and hashes, free loopback ports,
// and an nginx server started with its own configuration in a temporary directory.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/process.hpp"

namespace ferry::test {

// Paths of the built programs and the source tree (set by CMake).
std::filesystem::path binDir();
std::filesystem::path sourceDir();

// A fresh directory under $TMPDIR (or /tmp), removed with its contents by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "ferry-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes `size` pseudo-random bytes (deterministic for a seed) quickly.
void writeRandomFile(const std::filesystem::path& path, std::uint64_t size, std::uint64_t seed = 1);
// A copy with the same modification time (its directories made): nginx then gives it the same
// ETag (mtime-size), as a mirror of the same file would.
void copyWithItsTime(const std::filesystem::path& from, const std::filesystem::path& to);
std::string sha256File(const std::filesystem::path& path);
std::string sha256Bytes(const std::string& bytes);
std::string readFile(const std::filesystem::path& path);
// `n` pseudo-random bytes, the same for the same seed (xorshift; not for cryptography).
std::string randomBytes(std::size_t n, unsigned seed);
void writeFile(const std::filesystem::path& path, const std::string& contents);
// How many lines of `text` (an access log) start with `prefix`.
int countLinesStartingWith(const std::string& text, const std::string& prefix);

// A TCP port on 127.0.0.1 that was free a moment ago.
int freePort();

// Waits until something accepts TCP connections on 127.0.0.1:port.
bool waitForPort(int port, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Where `event` first is in `events`, or -1: for asserting the order of delegate callbacks.
inline long indexOf(const std::vector<std::string>& events, const std::string& event) {
  auto it = std::find(events.begin(), events.end(), event);
  return it == events.end() ? -1 : static_cast<long>(it - events.begin());
}

// Polls `condition` every 20 ms until true or timeout.
bool waitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(30));

// nginx serving `root` on 127.0.0.1:port(), with Range support and an access log that records
// the Range header and status of every request: "<status> <range or -> <uri>".
class NginxServer {
 public:
  struct Options {
    std::filesystem::path root;
    std::string limit_rate;  // e.g. "50m" (bytes/s per connection); empty: unlimited
    std::string extra_server_config;
  };
  explicit NginxServer(Options options);
  ~NginxServer();
  int port() const { return port_; }
  std::string url(const std::string& path) const;
  std::string accessLog() const;
  // The most requests nginx was serving at one moment (from its timed log of finished requests).
  int mostRequestsAtOnce() const;
  // Body bytes of every answer so far, those cut short included.
  std::uint64_t bodyBytesSent() const;
  // nginx writes a request's log line after the response has gone out, so a client can finish
  // before the line exists: wait (up to 10 s) for a line containing `needle`, then return the log.
  std::string accessLogOnceItHas(std::string_view needle) const;

 private:
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace ferry::test
