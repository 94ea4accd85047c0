// libferry against a daemon that answers wrongly (a ferryd bug, or something else on the socket):
// every malformed reply is an error for the caller, never an exception in the application.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "ferry/control.hpp"
#include "support/fixtures.hpp"

using namespace ferry;

namespace {

// Accepts one connection and answers each line it reads with the next of `answers` (the
// request's id is not looked at: libferry's first request after hello has id 1).
class ScriptedDaemon {
 public:
  ScriptedDaemon(std::filesystem::path socket, std::vector<std::string> answers) : answers_(std::move(answers)) {
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket.c_str());
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listener_, 1), 0);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedDaemon() {
    ::shutdown(listener_, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
  }

 private:
  void serve() {
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) return;
    std::string buffer;
    for (const auto& answer : answers_) {
      while (buffer.find('\n') == std::string::npos) {
        char chunk[4096];
        const ssize_t n = ::read(client, chunk, sizeof chunk);
        if (n <= 0) return ::close(client), void();
        buffer.append(chunk, static_cast<std::size_t>(n));
      }
      buffer.erase(0, buffer.find('\n') + 1);
      const std::string line = answer + "\n";
      (void)::write(client, line.data(), line.size());
    }
    char rest[256];
    while (::read(client, rest, sizeof rest) > 0) {
    }
    ::close(client);
  }

  std::vector<std::string> answers_;
  int listener_ = -1;
  std::thread thread_;
};

const std::string kGoodHello = R"({"type":"reply","id":0,"ok":true,"result":{"protocol":1,"daemon_version":"test"}})";

}  // namespace

TEST(ClientBadReply, AHelloWhoseOkIsNotABooleanIsAnErrorNotAThrow) {
  test::TempDir dir;
  for (const std::string bad : {R"({"type":"reply","id":0,"ok":"yes"})", R"({"type":"reply","id":0,"ok":1,"error":7})",
                                R"({"type":"reply","id":0})"}) {
    const auto socket = dir / "bad.sock";
    std::filesystem::remove(socket);
    ScriptedDaemon daemon(socket, {bad});
    auto control = Control::connect(socket, /*start_daemon=*/false);
    ASSERT_FALSE(control) << bad;
    EXPECT_FALSE(control.error().message.empty()) << bad;
  }
}

TEST(ClientBadReply, ARequestsMalformedReplyIsAnErrorAndTheConnectionGoesOn) {
  test::TempDir dir;
  const auto socket = dir / "bad.sock";
  ScriptedDaemon daemon(socket, {kGoodHello, R"({"type":"reply","id":1,"ok":"true","result":{}})",
                                 R"({"type":"reply","id":2,"ok":true,"result":{"sessions":"none"}})"});
  auto control = Control::connect(socket, /*start_daemon=*/false);
  ASSERT_TRUE(control) << control.error().describe();
  auto first = (*control)->status();
  ASSERT_FALSE(first);
  auto second = (*control)->status();  // a result of the wrong shape: the typed decoder says so
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, errc::protocol) << second.error().describe();
}
