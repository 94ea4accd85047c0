// Task metrics (model/task_metrics.hpp) of background and default sessions: what the engine read from libcurl
// arrives in didFinishCollectingMetrics just before didComplete, one entry per attempt, and
// `ferryctl list --json` shows an ended task's metrics, also after ferryd restarts.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "harness.hpp"
#include "support/servers.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

// What is certain of an attempt that downloaded `size` bytes over HTTP/1.1 from 127.0.0.1:port.
void expectPlainHttpAttempt(const AttemptMetrics& a, long port, std::uint64_t size) {
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.http_version, "1.1");
  EXPECT_EQ(a.remote_address, "127.0.0.1");
  EXPECT_EQ(a.remote_port, port);
  EXPECT_EQ(a.bytes_received, size);
  EXPECT_EQ(a.bytes_sent, 0u);
  EXPECT_EQ(a.tls.count(), 0);  // plain http: no TLS step
  EXPECT_GE(a.total, a.first_byte);
  EXPECT_GE(a.first_byte, a.connect);
  EXPECT_GT(a.total.count(), 0);
}

// Two downloads in one session of `config`: each reports its one attempt before its didComplete.
void expectEachDownloadReportsItsAttempt(const Configuration& config, const NginxServer& nginx, std::uint64_t size) {
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(config, delegate);
  ASSERT_TRUE(session) << session.error().describe();
  for (int i = 0; i < 2; ++i) {
    DownloadOptions options;
    options.start = true;
    auto task = (*session)->downloadTask(nginx.url("/f.bin"), options);
    ASSERT_TRUE(task);
    ASSERT_TRUE(delegate->waitForCompletion(task->identifier()));
    ASSERT_TRUE(delegate->completion(task->identifier())->ok());
    auto metrics = delegate->metrics(task->identifier());
    ASSERT_TRUE(metrics) << "no didFinishCollectingMetrics for task " << task->identifier();
    EXPECT_TRUE(delegate->metricsBeforeCompletion(task->identifier()));
    ASSERT_EQ(metrics->attempts.size(), 1u);
    const auto& a = metrics->attempts[0];
    expectPlainHttpAttempt(a, nginx.port(), size);
    EXPECT_EQ(a.url, nginx.url("/f.bin"));
    // The second download to the same server goes on the first one's connection.
    if (i == 1) {
      EXPECT_TRUE(a.reused_connection);
    }
  }
}

TEST(Metrics, EachDownloadOfASessionReportsItsAttemptBeforeDidComplete) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  constexpr std::uint64_t kSize = 2 * MiB + 333;
  writeRandomFile(dir / "www/f.bin", kSize, 5);
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  expectEachDownloadReportsItsAttempt(ferryd.config("metrics"), nginx, kSize);
}

TEST(Metrics, EachDownloadOfADefaultSessionReportsItsAttemptBeforeDidComplete) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  constexpr std::uint64_t kSize = 1 * MiB + 77;
  writeRandomFile(dir / "www/f.bin", kSize, 6);
  NginxServer nginx({dir / "www", "", ""});
  expectEachDownloadReportsItsAttempt(Configuration::defaults(), nginx, kSize);
}

TEST(Metrics, ARetriedDownloadHasOneEntryPerAttemptAndListShowsThemAcrossARestart) {
  TempDir dir;
  constexpr std::uint64_t kSize = 1 * MiB + 7;
  writeRandomFile(dir / "f.bin", kSize, 9);
  // The first request gets a 503 (Retry-After: 1), the second the file.
  FixtureServer server(dir / "f.bin", {"--fail-first", "1", "--retry-after", "1"}, dir / "server.log");
  Ferryd ferryd(dir.path());
  ferryd.start();
  std::uint64_t id = 0;
  {
    auto session = Session::create(ferryd.config("retried"), nullptr);
    ASSERT_TRUE(session);
    DownloadOptions options;
    options.start = true;
    auto task = (*session)->downloadTask(server.url(), options);
    ASSERT_TRUE(task);
    id = task->identifier();
  }  // detached: the events wait in the outbox, so the ended task stays listed
  auto control = ferryd.control();
  ASSERT_TRUE(waitUntil([&] {
    auto tasks = control->list(std::string("retried"));
    return tasks && tasks->size() == 1 && (*tasks)[0].state == "completed";
  }, std::chrono::seconds(60)));

  auto checkListed = [&](const std::string& when) {
    auto listed = ferryd.ferryctl({"--json", "list", "--session", "retried"});
    ASSERT_EQ(listed.exit_code, 0) << listed.out;
    auto json = nlohmann::json::parse(listed.out, nullptr, false);
    ASSERT_TRUE(json.is_array() && json.size() == 1) << when << ": " << listed.out;
    const auto& attempts = json[0]["metrics"]["attempts"];
    ASSERT_TRUE(attempts.is_array()) << when << ": " << listed.out;
    ASSERT_EQ(attempts.size(), 2u) << when << ": " << listed.out;
    EXPECT_EQ(attempts[0]["status"], 503) << when;
    EXPECT_EQ(attempts[1]["status"], 200) << when;
    EXPECT_EQ(attempts[1]["bytes_received"], kSize) << when;
    EXPECT_EQ(attempts[1]["remote_port"], server.port()) << when;
    EXPECT_GE(attempts[1]["total_us"].get<long long>(), attempts[1]["first_byte_us"].get<long long>()) << when;
  };
  checkListed("before a restart");
  ferryd.terminate();
  ferryd.start();
  checkListed("after a restart (from the stored didComplete)");

  // The application attaches: the same metrics, then didComplete.
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("retried"), delegate);
  ASSERT_TRUE(session);
  ASSERT_TRUE(delegate->waitForCompletion(id));
  auto metrics = delegate->metrics(id);
  ASSERT_TRUE(metrics);
  EXPECT_TRUE(delegate->metricsBeforeCompletion(id));
  ASSERT_EQ(metrics->attempts.size(), 2u);
  EXPECT_EQ(metrics->attempts[0].status, 503);
  EXPECT_EQ(metrics->attempts[0].http_version, "1.1");
  expectPlainHttpAttempt(metrics->attempts[1], server.port(), kSize);
}

}  // namespace
