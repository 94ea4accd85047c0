#include "server_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <thread>

namespace vf::test {
using namespace ferry::test;

std::filesystem::path mediaDir() { return VF_MEDIA_DIR; }

namespace {

// The port the server says it listens on ("listening on http://127.0.0.1:PORT/"), once it does;
// 0 when it exits or does not say so in time.
int listeningPort(Process& process, const std::function<std::string()>& log) {
  static constexpr std::string_view kSays = "listening on http://127.0.0.1:";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = log();
    if (auto at = text.find(kSays); at != std::string::npos) return std::atoi(text.c_str() + at + kSays.size());
    if (!process.running()) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

}  // namespace

// The server picks its own port (port 0) and names it in its log. A port picked here and handed
// to it could be taken meanwhile by another test's process: a chromedriver once was, and since
// this server listens with SO_REUSEPORT, the test then talked to chromedriver.
ServerProcess::ServerProcess(std::vector<std::string> extra_args, std::filesystem::path data_dir, Writes writes)
    : data_(data_dir.empty() ? dir_.path() / "data" : data_dir) {
  if (writes == Writes::Open) extra_args.push_back("--open-writes");
  std::vector<std::string> argv{(binDir() / "videofarm-server").string(), "--listen", "127.0.0.1:0", "--data-dir",
                                data_.string()};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<Process>(Process::Options{argv, {}, dir_.path() / "server.log", {}, std::nullopt});
  port_ = listeningPort(*process_, [this] { return log(); });
  if (port_ == 0) throw std::runtime_error("videofarm-server did not start: " + log());
}

ServerProcess::~ServerProcess() {
  if (process_->running()) {
    process_->signal(SIGTERM);
    auto code = process_->wait(std::chrono::seconds(10));
    EXPECT_EQ(code.value_or(-1), 0) << "videofarm-server did not stop cleanly:\n" << log();
  }
  // Under ASan/UBSan a report in the server's own log fails the test that ran it.
  auto text = log();
  EXPECT_EQ(text.find("Sanitizer"), std::string::npos) << text;
  EXPECT_EQ(text.find("runtime error:"), std::string::npos) << text;
}

void ServerProcess::kill9() { process_->kill9AndWait(); }

std::string ServerProcess::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::string ServerProcess::log() const { return readFile(dir_.path() / "server.log"); }

std::string HttpAnswer::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

HttpAnswer parseAnswer(const std::string& raw) {
  HttpAnswer answer;
  std::string_view rest(raw);
  while (true) {
    auto end = rest.find("\r\n\r\n");
    if (rest.substr(0, 5) != "HTTP/" || end == std::string_view::npos) {
      answer.body = std::string(rest);
      return answer;
    }
    std::string_view block = rest.substr(0, end);
    rest.remove_prefix(end + 4);
    auto eol = block.find("\r\n");
    std::string_view status_line = block.substr(0, eol);
    int status = std::stoi(std::string(status_line.substr(9, 3)));
    if (status >= 100 && status < 200) {
      answer.interim.push_back(status);
      continue;
    }
    answer.status = status;
    while (eol != std::string_view::npos) {
      block.remove_prefix(eol + 2);
      eol = block.find("\r\n");
      std::string_view line = block.substr(0, eol);
      auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string name(line.substr(0, colon));
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      answer.headers[name] = std::string(value);
    }
    answer.body = std::string(rest);
    return answer;
  }
}

HttpAnswer curl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"curl", "-s", "-S", "-i", "--max-time", "30"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto result = runCommand(argv);
  EXPECT_EQ(result.exit_code, 0) << "curl failed";
  return parseAnswer(result.out);
}

namespace {
int connectTo(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("connect failed");
  }
  return fd;
}
}  // namespace

RawConnection::RawConnection(int port) : fd_(connectTo(port)) {}
RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void RawConnection::send(const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may have answered and closed: tests look at the answer
    off += static_cast<size_t>(n);
  }
}

std::string RawConnection::readUntil(const std::string& marker, std::chrono::milliseconds timeout) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[65536];
  while (marker.empty() || out.find(marker) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string RawConnection::readAll(std::chrono::milliseconds timeout) { return readUntil("", timeout); }

void RawConnection::reset() {
  linger l{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd_);
  fd_ = -1;
}

std::string rawExchange(int port, const std::string& request, std::chrono::milliseconds timeout) {
  RawConnection c(port);
  c.send(request);
  return c.readAll(timeout);
}

std::string createVideo(const ServerProcess& server, const std::string& title, bool with_thumbnail) {
  std::vector<std::string> args{"-F", "title=" + title, "-F", "description=made by a test"};
  if (with_thumbnail) {
    args.push_back("-F");
    args.push_back("thumbnail=@" + (mediaDir() / "sample-thumb.png").string());
  }
  args.push_back(server.url("/videos"));
  auto answer = curl(args);
  EXPECT_EQ(answer.status, 303) << answer.body;
  auto location = answer.header("location");
  EXPECT_EQ(location.rfind("/videos/", 0), 0u);
  return location.substr(8);
}

}  // namespace vf::test
