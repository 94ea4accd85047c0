// DownloadOptions::connections (issue 16, segmented downloads) on the client's surfaces: libferry
// and ferryctl --connections / -x carry it to ferryd (the request ferryd keeps says so), and a
// count out of 1..16 is refused before anything is sent. The C and Python setters:
// tests/c_api/c_api_check.c, python/tests/test_ferry.py.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

// The connections of the request ferryd stored for a task (1 when the request leaves it out).
int storedConnections(const Ferryd& ferryd, std::uint64_t id) {
  const auto request = nlohmann::json::parse(ferryd.storedTaskColumn(id, "request_json"), nullptr, false);
  if (!request.is_object()) return -1;
  return request.value("connections", 1);
}

}  // namespace

TEST(SessionConnections, OutOfRangeIsRefusedBeforeSendingOthersReachFerryd) {
  TempDir dir;
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto session = Session::create(ferryd.config("connections"), nullptr);
  ASSERT_TRUE(session);
  const std::string url = "http://127.0.0.1:9/f.bin";  // suspended tasks: never fetched
  for (int bad : {0, -3, 17}) {
    DownloadOptions options;
    options.connections = bad;
    auto refused = (*session)->downloadTask(url, options);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, "invalid-argument");
    EXPECT_NE(refused.error().message.find("from 1 to 16"), std::string::npos) << refused.error().message;
  }
  EXPECT_EQ(ferryd.taskCount(), 0u);

  DownloadOptions sixteen;
  sixteen.connections = 16;
  auto task = (*session)->downloadTask(url, sixteen);
  ASSERT_TRUE(task) << task.error().describe();
  EXPECT_EQ(storedConnections(ferryd, task->identifier()), 16);
  auto plain = (*session)->downloadTask(url, DownloadOptions{});
  ASSERT_TRUE(plain);
  EXPECT_EQ(storedConnections(ferryd, plain->identifier()), 1);

  // A batch: the refused entries get their error, the others are created with their count.
  std::vector<DownloadRequest> batch(3, DownloadRequest{url, {}});
  batch[0].options.connections = 2;
  batch[1].options.connections = 99;
  batch[2].options.expected_digest = "sha-256=abc";
  auto created = (*session)->downloadTasks(batch);
  ASSERT_EQ(created.size(), 3u);
  ASSERT_TRUE(created[0]) << created[0].error().describe();
  EXPECT_EQ(storedConnections(ferryd, created[0]->identifier()), 2);
  ASSERT_FALSE(created[1]);
  EXPECT_EQ(created[1].error().code, "invalid-argument");
  EXPECT_NE(created[1].error().message.find("99"), std::string::npos) << created[1].error().message;
  ASSERT_FALSE(created[2]);
  EXPECT_EQ(created[2].error().code, "invalid-argument");
  EXPECT_EQ(ferryd.taskCount(), 3u);
}

TEST(FerryctlConnections, ReachFerrydAndBadCountsAreUsageErrors) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/c.bin", 2 * MiB, 31);
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();

  auto done = ferryd.ferryctl({"download", nginx.url("/c.bin"), "-o", (dir / "c.out").string(), "-x", "4"});
  ASSERT_EQ(done.exit_code, 0) << done.out;
  EXPECT_EQ(sha256File(dir / "c.out"), sha256File(dir / "www/c.bin"));

  // Held an hour: the stored request is what ferryd will run.
  auto held = ferryd.ferryctl({"download", nginx.url("/c.bin"), "-o", (dir / "held.out").string(), "--connections", "7",
                               "--detach", "--begin-at", "+3600"});
  ASSERT_EQ(held.exit_code, 0) << held.out;
  EXPECT_EQ(storedConnections(ferryd, std::stoull(held.out)), 7);

  {
    std::ofstream list(dir / "list.txt");
    list << nginx.url("/c.bin") << " -o " << (dir / "a.out").string() << "\n"
         << nginx.url("/c.bin") << " -o " << (dir / "b.out").string() << "\n";
  }
  auto listed = ferryd.ferryctl({"download", "-i", (dir / "list.txt").string(), "-x", "3", "--detach", "--begin-at", "+3600"});
  ASSERT_EQ(listed.exit_code, 0) << listed.out;
  std::istringstream ids(listed.out);
  int lines = 0;
  for (std::uint64_t id = 0; ids >> id; ++lines) EXPECT_EQ(storedConnections(ferryd, id), 3) << id;
  EXPECT_EQ(lines, 2) << listed.out;

  const auto before = ferryd.taskCount();
  for (const std::vector<std::string>& bad : std::vector<std::vector<std::string>>{
           {"-x", "0"}, {"--connections", "17"}, {"--connections", "abc"}, {"-x", "-2"}, {"-x", "4.5"}}) {
    std::vector<std::string> args{"download", nginx.url("/c.bin"), "-o", (dir / "bad.out").string(), bad[0], bad[1]};
    auto r = ferryd.ferryctl(args);
    EXPECT_EQ(r.exit_code, 2) << bad[1] << ": " << r.out;
    EXPECT_NE(r.out.find("--connections"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("from 1 to 16"), std::string::npos) << r.out;
    auto in_list = ferryd.ferryctl({"download", "-i", (dir / "list.txt").string(), bad[0], bad[1]});
    EXPECT_EQ(in_list.exit_code, 2) << bad[1] << ": " << in_list.out;
    EXPECT_NE(in_list.out.find("from 1 to 16"), std::string::npos) << in_list.out;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.out"));
  EXPECT_EQ(ferryd.taskCount(), before);
}
