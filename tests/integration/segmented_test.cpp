// Segmented downloads through ferryd (issue 16): DownloadOptions::connections fetches byte ranges
// over several connections at once; each segment's durable offset survives kill -9 and resume
// data, so nothing is fetched again from zero.

#include <gtest/gtest.h>

#include <thread>

#include "harness.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

// Bytes ferryd reports written for the only task of `session`, or 0.
std::uint64_t writtenBy(Ferryd& ferryd, const std::string& session) {
  auto tasks = ferryd.control()->list(session);
  return tasks && tasks->size() == 1u ? (*tasks)[0].bytes_written : 0;
}

bool waitForBytes(Ferryd& ferryd, const std::string& session, std::uint64_t bytes) {
  for (int i = 0; i < 600; ++i) {
    if (writtenBy(ferryd, session) >= bytes) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

TEST(DaemonSegments, FourConnectionsKilledTwiceResumeEverySegmentByteExact) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  constexpr std::uint64_t kSize = 64 * MiB;
  writeRandomFile(dir / "www/big.bin", kSize, 31);
  NginxServer nginx({dir / "www", "4m", ""});  // 4 connections: ~16 MiB/s, ~4 s
  Ferryd ferryd(dir.path(), {"--checkpoint-ms", "100"});
  ferryd.start();
  std::uint64_t id = 0;
  {
    auto session = Session::create(ferryd.config("seg"), nullptr);
    ASSERT_TRUE(session);
    DownloadOptions options;
    options.destination = dir / "big.out";
    options.connections = 4;
    options.start = true;
    auto task = (*session)->downloadTask(nginx.url("/big.bin"), options);
    ASSERT_TRUE(task) << task.error().describe();
    id = task->identifier();
  }
  for (std::uint64_t at : {12 * MiB, 36 * MiB}) {
    ASSERT_TRUE(waitForBytes(ferryd, "seg", at)) << "no progress to " << at;
    ASSERT_LT(writtenBy(ferryd, "seg"), kSize) << "finished too early to be killed";
    ferryd.kill9();
    ferryd.start();
  }
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("seg"), delegate);
  ASSERT_TRUE(session);
  ASSERT_TRUE(delegate->waitForCompletion(id, std::chrono::seconds(120)));
  ASSERT_TRUE(delegate->completion(id)->ok()) << delegate->completion(id)->error->describe();
  EXPECT_EQ(sha256File(dir / "big.out"), sha256File(dir / "www/big.bin"));

  const std::string log = nginx.accessLog();
  // One plan, kept through both kills: the probe from 0 once, never a whole answer.
  EXPECT_EQ(countLinesStartingWith(log, "206 bytes=0- "), 1) << log;
  EXPECT_EQ(countLinesStartingWith(log, "200 "), 0) << log;
  // Each kill costs the bytes not yet made durable (a checkpoint every 100 ms at ~16 MiB/s) and
  // what nginx had handed to the four sockets' buffers (several MiB each on loopback). Starting
  // again from zero would have cost 12 + 36 MiB more than the file: nothing did.
  EXPECT_GE(nginx.bodyBytesSent(), kSize);
  EXPECT_LT(nginx.bodyBytesSent(), kSize + 32 * MiB) << log;
  EXPECT_GE(nginx.mostRequestsAtOnce(), 4) << log;
}

TEST(DaemonSegments, ResumeDataKeepsEverySegment) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  constexpr std::uint64_t kSize = 32 * MiB;
  writeRandomFile(dir / "www/r.bin", kSize, 32);
  NginxServer nginx({dir / "www", "4m", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("segrd"), delegate);
  ASSERT_TRUE(session);
  DownloadOptions options;
  options.connections = 4;
  options.start = true;
  auto task = (*session)->downloadTask(nginx.url("/r.bin"), options);
  ASSERT_TRUE(task);
  ASSERT_TRUE(delegate->waitFor([&] { return delegate->lastWritten() > static_cast<std::int64_t>(16 * MiB); }));
  auto blob = task->cancelByProducingResumeData();
  ASSERT_TRUE(blob) << blob.error().describe();

  DownloadOptions continued;
  continued.destination = dir / "r.out";
  continued.start = true;
  auto resumed = (*session)->downloadTaskWithResumeData(*blob, continued);
  ASSERT_TRUE(resumed) << resumed.error().describe();
  ASSERT_TRUE(delegate->waitForCompletion(resumed->identifier()));
  ASSERT_TRUE(delegate->completion(resumed->identifier())->ok())
      << delegate->completion(resumed->identifier())->error->describe();
  EXPECT_EQ(sha256File(dir / "r.out"), sha256File(dir / "www/r.bin"));
  const std::string log = nginx.accessLog();
  EXPECT_EQ(countLinesStartingWith(log, "206 bytes=0- "), 1) << log;
  // The segments went on where they were: from zero would have cost 16 MiB more than the file
  // (the socket buffers' bytes nginx sent before the cancel are the difference).
  EXPECT_LT(nginx.bodyBytesSent(), kSize + 12 * MiB) << log;
  EXPECT_GE(countLinesStartingWith(log, "206 bytes="), 9) << log;  // the probe, 4 ranges, 4 continued
}

TEST(DaemonSegments, ServerWithoutRangesFallsBackToOneConnection) {
  TempDir dir;
  writeRandomFile(dir / "plain.bin", 4 * MiB, 33);
  // python's http.server serves no ranges: the whole file over one connection.
  const int port = freePort();
  Process server(Process::Options{
      {"python3", "-m", "http.server", std::to_string(port), "--bind", "127.0.0.1", "--directory", dir.path().string()},
      {}, dir / "http.log", {}, std::nullopt});
  ASSERT_TRUE(waitForPort(port));
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("plain"), delegate);
  ASSERT_TRUE(session);
  DownloadOptions options;
  options.destination = dir / "plain.out";
  options.connections = 4;
  options.start = true;
  auto task = (*session)->downloadTask("http://127.0.0.1:" + std::to_string(port) + "/plain.bin", options);
  ASSERT_TRUE(task);
  ASSERT_TRUE(delegate->waitForCompletion(task->identifier()));
  ASSERT_TRUE(delegate->completion(task->identifier())->ok()) << delegate->completion(task->identifier())->error->describe();
  EXPECT_EQ(sha256File(dir / "plain.out"), sha256File(dir / "plain.bin"));
  const std::string requests = readFile(dir / "http.log");
  std::size_t gets = 0;
  for (auto at = requests.find("GET /plain.bin"); at != std::string::npos; at = requests.find("GET /plain.bin", at + 1)) ++gets;
  EXPECT_EQ(gets, 1u) << requests;
  EXPECT_NE(ferryd.log().find("one connection instead of 4: the server does not serve byte ranges"), std::string::npos)
      << ferryd.log();
}
