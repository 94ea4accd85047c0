// Transient failures: back-off, Retry-After, stalls, and giving up at the resource deadline.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/unique_fd.hpp"
#include "engine_harness.hpp"

namespace ferry::engine::test {
namespace {

class EngineRetry : public ::testing::Test {
 protected:
  ft::TempDir dir_{"ferry-engine"};
  EventRecorder events_;
};

TEST_F(EngineRetry, RetriesServiceUnavailableHonouringRetryAfter) {
  ft::writeRandomFile(dir_ / "source.bin", 200000, 21);
  FixtureServer server(dir_, dir_ / "source.bin", {"--fail-first", "2", "--retry-after", "1"});
  Engine engine(events_.sink());
  auto started = Clock::now();
  engine.start(makeJob(1, server.url(), dir_ / "file.part"));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_GE(Clock::now() - started, 1900ms);  // two waits of Retry-After: 1, not 50 ms back-offs
  EXPECT_EQ(ft::sha256File(dir_ / "file.part"), ft::sha256File(dir_ / "source.bin"));

  EXPECT_EQ(eventLetters(events_.eventsOf(1)), "W X W X W R P F");
  auto retrying = events_.all<Retrying>(1);
  ASSERT_EQ(retrying.size(), 2u);
  EXPECT_EQ(retrying[0].error.code, errc::http_error);
  EXPECT_NE(retrying[0].error.message.find("503 Service Unavailable"), std::string::npos);
  EXPECT_EQ(retrying[1].attempt, 2);
  auto waiting = events_.all<Waiting>(1);
  EXPECT_EQ(waiting[1].reason, "retry-backoff 1s");
  // The 503 bodies never reached the file, and no Responded announced them.
  EXPECT_EQ(events_.all<Responded>(1).size(), 1u);
  auto log = server.logLines();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_NE(log[0].find("status=503"), std::string::npos);
  EXPECT_NE(log[2].find("status=200"), std::string::npos);
}

TEST_F(EngineRetry, RetryAfterAsHttpDate) {
  ft::writeRandomFile(dir_ / "source.bin", 1000, 22);
  FixtureServer server(dir_, dir_ / "source.bin",
                       {"--fail-first", "1", "--fail-status", "429", "--retry-after", "2", "--retry-after-date"});
  Engine engine(events_.sink());
  auto started = Clock::now();
  engine.start(makeJob(1, server.url(), dir_ / "file.part"));
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && !finished->error) << finished->error->describe();
  EXPECT_GE(Clock::now() - started, 900ms);  // a date 2 s ahead, at one-second resolution
  EXPECT_NE(events_.all<Retrying>(1).at(0).error.message.find("429"), std::string::npos);
}

TEST_F(EngineRetry, GivesUpAtTheResourceDeadline) {
  ft::writeRandomFile(dir_ / "source.bin", 1000, 23);
  FixtureServer server(dir_, dir_ / "source.bin", {"--fail-first", "100000", "--fail-status", "502"});
  Engine engine(events_.sink());
  auto job = makeJob(1, server.url(), dir_ / "file.part");
  job.retry.resource_deadline = WallClock::now() + 1500ms;
  auto started = Clock::now();
  engine.start(job);
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::resource_timeout);
  EXPECT_NE(finished->error->message.find("502 Bad Gateway"), std::string::npos) << finished->error->message;
  EXPECT_LT(Clock::now() - started, 3s);
  EXPECT_GE(events_.all<Retrying>(1).size(), 2u);
  EXPECT_EQ(finished->total_written, 0u);
  EXPECT_FALSE(finished->resumable);
}

TEST_F(EngineRetry, ConnectionRefusedIsTransient) {
  Engine engine(events_.sink());
  auto job = makeJob(1, "http://127.0.0.1:" + std::to_string(ft::freePort()) + "/x", dir_ / "file.part");
  job.retry.resource_deadline = WallClock::now() + 800ms;
  engine.start(job);
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::resource_timeout);
  auto retrying = events_.all<Retrying>(1);
  ASSERT_FALSE(retrying.empty());
  EXPECT_EQ(retrying[0].error.code, errc::network);
  EXPECT_NE(finished->error->message.find("onnect"), std::string::npos) << finished->error->message;
}

TEST_F(EngineRetry, StallIsDetected) {
  // A listening socket that never answers: connect succeeds (the kernel's backlog), no byte comes.
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener.get(), 16), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len);

  Engine engine(events_.sink());
  auto job = makeJob(1, "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/x", dir_ / "file.part");
  job.request.stall_timeout = 1s;
  job.retry.resource_deadline = WallClock::now() + 1500ms;
  engine.start(job);
  auto finished = events_.waitFinished(1, 10s);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::resource_timeout);
  auto retrying = events_.all<Retrying>(1);
  ASSERT_FALSE(retrying.empty());
  EXPECT_EQ(retrying[0].error.code, errc::timeout);
  EXPECT_NE(finished->error->message.find("stalled"), std::string::npos) << finished->error->message;
}

}  // namespace
}  // namespace ferry::engine::test
