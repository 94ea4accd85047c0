// ferryd as a systemd service: socket activation (LISTEN_FDS, tested with systemd-socket-activate,
// which systemd's own socket units behave like) and readiness through sd_notify.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "harness.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

std::string commOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

// A datagram socket standing in for systemd's NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) throw std::runtime_error("bind notify socket");
    timeval timeout{30, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~NotifySocket() { ::close(fd_); }
  // The next datagram, or "" after 30 s.
  std::string receive() {
    char buffer[4096];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

}  // namespace

TEST(Service, SocketActivationStartsFerrydOnTheFirstConnectionAndLeavesTheSocket) {
  TempDir dir;
  std::filesystem::create_directories(dir / "run");
  std::filesystem::permissions(dir / "run", std::filesystem::perms::owner_all);
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/f.bin", 3 * MiB, 21);
  NginxServer nginx({dir / "www", "", ""});
  const auto socket = dir / "run" / "ferryd.sock";
  Process activator({{"systemd-socket-activate", "-l", socket.string(), (binDir() / "ferryd").string(), "--state-dir",
                      (dir / "state").string()},
                     {},
                     dir / "ferryd.log",
                     {},
                     std::nullopt});
  ASSERT_TRUE(waitUntil([&] { return std::filesystem::exists(socket); }, std::chrono::seconds(20))) << readFile(dir / "ferryd.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_NE(commOf(activator.pid()), "ferryd") << "nothing runs before somebody connects";

  // FERRY_SOCKET alone: the same thing a user with ferryd.socket enabled has by default.
  auto status = runCommand({(binDir() / "ferryctl").string(), "status"}, {{"FERRY_SOCKET", socket.string()}});
  ASSERT_EQ(status.exit_code, 0) << status.out << readFile(dir / "ferryd.log");
  EXPECT_NE(status.out.find("(from systemd)"), std::string::npos) << status.out;
  EXPECT_EQ(commOf(activator.pid()), "ferryd");  // systemd-socket-activate exec'd ferryd

  auto download = runCommand({(binDir() / "ferryctl").string(), "download", nginx.url("/f.bin"), "-o",
                              (dir / "out.bin").string()},
                             {{"FERRY_SOCKET", socket.string()}});
  ASSERT_EQ(download.exit_code, 0) << download.out << readFile(dir / "ferryd.log");
  EXPECT_EQ(sha256File(dir / "out.bin"), sha256File(dir / "www/f.bin"));

  activator.signal(SIGTERM);
  EXPECT_EQ(activator.wait(std::chrono::seconds(30)), 0) << readFile(dir / "ferryd.log");
  EXPECT_TRUE(std::filesystem::exists(socket)) << "the socket belongs to systemd: ferryd must not remove it";
}

TEST(Service, ReadinessAndStoppingAreNotified) {
  TempDir dir;
  NotifySocket notify(dir / "notify.sock");
  Process ferryd({{(binDir() / "ferryd").string(), "--socket", (dir / "run" / "ferryd.sock").string(), "--state-dir",
                   (dir / "state").string()},
                  {{"NOTIFY_SOCKET", (dir / "notify.sock").string()}},
                  dir / "ferryd.log",
                  {},
                  std::nullopt});
  auto ready = notify.receive();
  EXPECT_NE(ready.find("READY=1"), std::string::npos) << ready << readFile(dir / "ferryd.log");
  EXPECT_NE(ready.find("STATUS=serving " + (dir / "run" / "ferryd.sock").string()), std::string::npos) << ready;
  // Ready means ready: a client gets an answer at once.
  EXPECT_TRUE(Control::connect(dir / "run" / "ferryd.sock", false).has_value());
  ferryd.signal(SIGTERM);
  EXPECT_NE(notify.receive().find("STOPPING=1"), std::string::npos);
  EXPECT_EQ(ferryd.wait(std::chrono::seconds(30)), 0);
}
