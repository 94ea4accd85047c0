#pragma once
// A real videofarm-server process on loopback with its own data directory, and the ways tests
// talk to it: the curl command and raw sockets.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/fixtures.hpp"
#include "support/process.hpp"

namespace vf::test {

std::filesystem::path mediaDir();

// Accounts: writes need a token (the server's default). Open: --open-writes, for the tests of
// everything else, which write without one.
enum class Writes { Open, Accounts };

class ServerProcess {
 public:
  // `data_dir` empty: a fresh one; otherwise that directory (to restart on the same data).
  explicit ServerProcess(std::vector<std::string> extra_args = {}, std::filesystem::path data_dir = {},
                         Writes writes = Writes::Open);
  ~ServerProcess();
  // Crash: SIGKILL, no chance to sync or clean up.
  void kill9();
  int port() const { return port_; }
  std::string url(const std::string& path) const;
  const std::filesystem::path& dataDir() const { return data_; }
  std::string log() const;

 private:
  ferry::test::TempDir dir_{"vf-server"};
  std::filesystem::path data_;
  int port_ = 0;
  std::unique_ptr<ferry::test::Process> process_;
};

// One HTTP answer (the final one; 1xx answers are kept apart).
struct HttpAnswer {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::vector<int> interim;  // 1xx statuses seen before it
  std::string header(const std::string& name) const;
};

// Parses "HTTP/1.1 ...\r\n...\r\n\r\nbody" possibly preceded by 1xx answers.
HttpAnswer parseAnswer(const std::string& raw);

// Runs curl -s -i with the arguments and parses its output. Fails the test if curl fails.
HttpAnswer curl(const std::vector<std::string>& args);

// Sends `request` on a fresh connection, then reads until the server closes (or timeout).
std::string rawExchange(int port, const std::string& request,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A connected socket for tests that need to cut a request in the middle.
class RawConnection {
 public:
  explicit RawConnection(int port);
  ~RawConnection();
  void send(const std::string& bytes);
  // Reads until `marker` has been seen or the connection closes / times out.
  std::string readUntil(const std::string& marker, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::string readAll(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void reset();  // abortive close (RST)

 private:
  int fd_ = -1;
};

// Creates a video through POST /videos (multipart) and returns its id.
std::string createVideo(const ServerProcess& server, const std::string& title, bool with_thumbnail = true);

}  // namespace vf::test
