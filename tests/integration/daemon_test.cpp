// ferryd as a process: one per state directory, clean SIGTERM, status.

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace ferry;
using namespace ferry::test;

TEST(Daemon, SecondDaemonOnTheSameStateDirectoryIsRefused) {
  TempDir dir;
  Ferryd first(dir.path());
  first.start();
  auto r = runCommand({(binDir() / "ferryd").string(), "--socket", (dir / "other.sock").string(), "--state-dir",
                       first.stateDir().string()},
                      {}, std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_NE(r.out.find("already using the state directory"), std::string::npos) << r.out;
  // And a second one on the same socket is refused too.
  auto same_socket = runCommand({(binDir() / "ferryd").string(), "--socket", first.socket().string(), "--state-dir",
                                 (dir / "state2").string()},
                                {}, std::chrono::seconds(20));
  EXPECT_EQ(same_socket.exit_code, 3) << same_socket.out;
  EXPECT_TRUE(first.running());
}

TEST(Daemon, SigtermLeavesARunningDownloadResumable) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/s.bin", 32 * 1024 * 1024, 3);
  NginxServer nginx({dir / "www", "8m", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  std::uint64_t id = 0;
  {
    auto session = Session::create(ferryd.config("term"), nullptr);
    ASSERT_TRUE(session);
    auto task = (*session)->downloadTask(nginx.url("/s.bin"));
    ASSERT_TRUE(task);
    id = task->identifier();
    ASSERT_TRUE(task->resume());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  ferryd.terminate();
  ferryd.start();
  std::filesystem::create_directories(dir / "keep");
  auto delegate = std::make_shared<RecordingDelegate>(dir / "keep");
  auto session = Session::create(ferryd.config("term"), delegate);
  ASSERT_TRUE(session);
  ASSERT_TRUE(delegate->waitForCompletion(id));
  ASSERT_TRUE(delegate->completion(id)->ok());
  EXPECT_EQ(sha256File(*delegate->kept(id)), sha256File(dir / "www/s.bin"));
  // A clean stop made the written bytes durable: the restart resumed well past zero.
  auto offsets = delegate->resumeOffsets(id);
  ASSERT_EQ(offsets.size(), 1u);
  EXPECT_GT(offsets[0], 4 * 1024 * 1024);
  EXPECT_NE(ferryd.log().find("every task stays resumable"), std::string::npos);
}

TEST(Daemon, StatusAndListReportSessionsAndWaitingReasons) {
  TempDir dir;
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto session = Session::create(ferryd.config("stat"), nullptr);
  ASSERT_TRUE(session);
  auto task = (*session)->downloadTask("http://127.0.0.1:9/never");
  ASSERT_TRUE(task);
  auto status = ferryd.ferryctl({"--json", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.out;
  auto j = nlohmann::json::parse(status.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << status.out;
  EXPECT_EQ(j["tasks_by_state"].value("suspended", 0), 1);
  EXPECT_EQ(j["sessions"][0].value("id", ""), "stat");
  EXPECT_TRUE(j["sessions"][0].value("attached", false));
  auto listed = ferryd.ferryctl({"list"});
  EXPECT_NE(listed.out.find("waiting: suspended"), std::string::npos) << listed.out;
  // Port 9 refuses connections: a transient failure, so the task waits for its next attempt.
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(waitUntil([&] {
    auto l = ferryd.ferryctl({"list"});
    return l.out.find("waiting: retry-backoff") != std::string::npos;
  }));
}

// A session with thousands of tasks: every reply that lists them is megabytes long. The hello
// reply used to carry every task and the client refused lines over 1 MiB, so past ~4,000 tasks
// `ferryctl status` failed and an application could no longer attach.
TEST(Daemon, ThousandsOfTasksCanBeListedAndTheSessionAttachedAgain) {
  constexpr int kThreads = 8, kPerThread = 250, kTasks = kThreads * kPerThread;
  const std::string label(1000, 'x');  // ~1.3 KB per listed task: 2,000 tasks make a 2.6 MB list
  TempDir dir;
  Ferryd ferryd(dir.path());
  ferryd.start();
  {
    auto session = Session::create(ferryd.config("many"), nullptr);
    ASSERT_TRUE(session);
    std::atomic<int> created{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          DownloadOptions options;
          options.description = label;
          // Created suspended: nothing connects anywhere.
          auto n = std::to_string(t * kPerThread + i);
          if ((*session)->downloadTask(Request("http://127.0.0.1:9/task-" + n), options)) ++created;
        }
      });
    for (auto& thread : threads) thread.join();
    ASSERT_EQ(created.load(), kTasks);
  }
  ferryd.terminate();
  ferryd.start();
  auto status = ferryd.ferryctl({"--json", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.out;
  auto j = nlohmann::json::parse(status.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << status.out;
  EXPECT_EQ(j["tasks_by_state"].value("suspended", 0), kTasks);
  auto session = Session::create(ferryd.config("many"), nullptr);
  ASSERT_TRUE(session) << session.error().describe();
  auto tasks = (*session)->getAllTasks();
  ASSERT_TRUE(tasks) << tasks.error().describe();
  ASSERT_EQ(tasks->size(), static_cast<std::size_t>(kTasks));
  std::set<std::string> urls;
  for (const auto& t : *tasks) urls.insert(t.url);
  EXPECT_EQ(urls.size(), static_cast<std::size_t>(kTasks));
  EXPECT_EQ(tasks->front().description, label);
  auto listed = ferryd.ferryctl({"--json", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.out.substr(0, 2000);
  EXPECT_GT(listed.out.size(), std::size_t{2} << 20);
}
