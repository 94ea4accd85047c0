// ferryd killed with SIGKILL mid-download and restarted: it resumes with Range + If-Range from the
// last durable offset and the final bytes are right; servers that change the entity or ignore
// Range make it start again from zero.

#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <thread>

#include "harness.hpp"

using namespace ferry;
using namespace ferry::test;

TEST(Restart, KilledThreeTimesStillCompletesWithRangeRequests) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/big.bin", 512 * MiB, 11);
  const auto expected = sha256File(dir / "www/big.bin");
  NginxServer nginx({dir / "www", "40m", ""});  // ~13 s for the whole file: time to kill it
  Ferryd ferryd(dir.path(), {"--checkpoint-ms", "200"});
  ferryd.start();

  std::uint64_t id = 0;
  {
    auto session = Session::create(ferryd.config("kill"), nullptr);
    ASSERT_TRUE(session);
    auto task = (*session)->downloadTask(nginx.url("/big.bin"));
    ASSERT_TRUE(task);
    id = task->identifier();
    ASSERT_TRUE(task->resume());
  }
  std::mt19937 rng(std::random_device{}());
  std::uint64_t last_seen = 0;
  for (int kill = 0; kill < 3; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1000 + rng() % 1500));
    auto tasks = ferryd.control()->list(std::string("kill"));
    ASSERT_TRUE(tasks);
    ASSERT_EQ(tasks->size(), 1u);
    ASSERT_EQ((*tasks)[0].state, "running") << "finished too early to be killed; kill " << kill;
    last_seen = (*tasks)[0].bytes_written;
    ferryd.kill9();
    ferryd.start();
  }
  EXPECT_GT(last_seen, 0u);

  std::filesystem::create_directories(dir / "keep");
  auto delegate = std::make_shared<RecordingDelegate>(dir / "keep");
  auto session = Session::create(ferryd.config("kill"), delegate);
  ASSERT_TRUE(session);
  ASSERT_TRUE(delegate->waitForCompletion(id, std::chrono::seconds(300)));
  ASSERT_TRUE(delegate->completion(id)->ok()) << delegate->completion(id)->error->describe();
  auto kept = delegate->kept(id);
  ASSERT_TRUE(kept);
  EXPECT_EQ(sha256File(*kept), expected);
  EXPECT_GE(countLinesStartingWith(nginx.accessLog(), "206 bytes="), 3) << nginx.accessLog();
  EXPECT_EQ(delegate->count("finish:"), 1);
  EXPECT_EQ(delegate->count("complete:"), 1);
}

TEST(Restart, EntityChangeBetweenAttemptsRestartsFromZeroAndSaysSo) {
  TempDir dir;
  writeRandomFile(dir / "f.bin", 8 * MiB, 5);
  // The ETag changes with every request: after ferryd is killed, its If-Range no longer matches,
  // so the server answers 200 with the whole entity and the download starts again from zero.
  FixtureServer server(dir / "f.bin", {"--etag-changes-every", "1", "--rate", std::to_string(4 * MiB)},
                       dir / "server.log");
  Ferryd ferryd(dir.path(), {"--checkpoint-ms", "200"});
  ferryd.start();
  std::filesystem::create_directories(dir / "keep");
  auto delegate = std::make_shared<RecordingDelegate>(dir / "keep");
  std::uint64_t id = 0;
  {
    auto session = Session::create(ferryd.config("etag"), nullptr);
    ASSERT_TRUE(session);
    auto task = (*session)->downloadTask(server.url());
    ASSERT_TRUE(task);
    id = task->identifier();
    ASSERT_TRUE(task->resume());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ferryd.kill9();
  ferryd.start();
  auto session = Session::create(ferryd.config("etag"), delegate);
  ASSERT_TRUE(session);
  std::optional<DownloadTask> task(DownloadTask(session->get(), id));
  ASSERT_TRUE(delegate->waitForCompletion(task->identifier(), std::chrono::seconds(120)));
  ASSERT_TRUE(delegate->completion(task->identifier())->ok());
  EXPECT_EQ(sha256File(*delegate->kept(task->identifier())), sha256File(dir / "f.bin"));
  auto offsets = delegate->resumeOffsets(task->identifier());
  ASSERT_FALSE(offsets.empty());
  EXPECT_EQ(offsets.back(), 0);  // didResumeAtOffset(0): started again from zero
  auto log = readFile(dir / "server.log");
  EXPECT_NE(log.find("if-range=\""), std::string::npos) << log;
}

TEST(Restart, ServerWithoutRangeSupportStillGivesTheRightBytesAfterAKill) {
  TempDir dir;
  writeRandomFile(dir / "f.bin", 64 * MiB, 6);
  FixtureServer server(dir / "f.bin", {"--no-range", "--rate", std::to_string(16 * MiB)}, dir / "server.log");
  Ferryd ferryd(dir.path(), {"--checkpoint-ms", "200"});
  ferryd.start();
  std::uint64_t id = 0;
  {
    auto session = Session::create(ferryd.config("norange"), nullptr);
    ASSERT_TRUE(session);
    auto task = (*session)->downloadTask(server.url());
    ASSERT_TRUE(task);
    id = task->identifier();
    ASSERT_TRUE(task->resume());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ferryd.kill9();
  ferryd.start();
  std::filesystem::create_directories(dir / "keep");
  auto delegate = std::make_shared<RecordingDelegate>(dir / "keep");
  auto session = Session::create(ferryd.config("norange"), delegate);
  ASSERT_TRUE(session);
  ASSERT_TRUE(delegate->waitForCompletion(id, std::chrono::seconds(120)));
  ASSERT_TRUE(delegate->completion(id)->ok());
  EXPECT_EQ(sha256File(*delegate->kept(id)), sha256File(dir / "f.bin"));
}

TEST(Restart, PythonHttpServerWithoutRangeGivesTheRightBytes) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/p.bin", 20 * MiB, 8);
  int port = freePort();
  Process server({{"python3", "-m", "http.server", std::to_string(port), "--bind", "127.0.0.1", "--directory",
                   (dir / "www").string()},
                  {},
                  dir / "http.log",
                  {},
                  std::nullopt});
  ASSERT_TRUE(waitForPort(port));
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto out = dir / "p.out";
  auto r = ferryd.ferryctl({"download", "http://127.0.0.1:" + std::to_string(port) + "/p.bin", "-o", out.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(sha256File(out), sha256File(dir / "www/p.bin"));
}
