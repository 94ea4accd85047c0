// The README's example program works as written: hand over, exit, attach again, collect.

#include <gtest/gtest.h>

#include "harness.hpp"

using namespace ferry;
using namespace ferry::test;

TEST(Example, BackgroundDownloadHandsOverExitsAndCollectsLater) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  std::filesystem::create_directories(dir / "got");
  writeRandomFile(dir / "www/movie.bin", 3 * 1024 * 1024, 12);
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto example = (binDir() / "ferry-example-download").string();
  auto handed = runCommand({example, nginx.url("/movie.bin"), (dir / "got").string()}, ferryd.env());
  ASSERT_EQ(handed.exit_code, 0) << handed.out;
  EXPECT_NE(handed.out.find("handed to ferryd"), std::string::npos) << handed.out;
  ASSERT_TRUE(waitUntil([&] {
    auto tasks = ferryd.control()->list(std::string("com.example.downloader"));
    // Completed with its events waiting, or already gone: the first run took them itself.
    return tasks && (tasks->empty() || (tasks->size() == 1 && (*tasks)[0].state == "completed"));
  })) << ferryd.log();
  auto collected = runCommand({example, (dir / "got").string()}, ferryd.env());
  ASSERT_EQ(collected.exit_code, 0) << collected.out;
  // Usually the second run takes the file; the first takes it itself when the download ends
  // before it has finished exiting (it is still attached then, so the events are its own).
  EXPECT_NE((handed.out + collected.out).find("task 1 -> "), std::string::npos) << handed.out << collected.out;
  auto got = dir / "got" / "download-1";
  EXPECT_EQ(sha256File(got), sha256File(dir / "www/movie.bin"));
}

TEST(Example, InProcessFetchPrintsTheBodyAndSavesADownload) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeFile(dir / "www/hello.txt", "hello from nginx\n");
  writeRandomFile(dir / "www/movie.bin", 1024 * 1024, 13);
  NginxServer nginx({dir / "www", "", ""});
  auto example = (binDir() / "ferry-example-fetch").string();
  // No ferryd anywhere: FERRY_SOCKET names nothing.
  std::map<std::string, std::string> env{{"FERRY_SOCKET", (dir / "none.sock").string()}};
  auto printed = runCommand({example, nginx.url("/hello.txt")}, env);
  ASSERT_EQ(printed.exit_code, 0) << printed.out;
  EXPECT_EQ(printed.out, "status 200\nhello from nginx\n");
  auto saved = runCommand({example, nginx.url("/movie.bin"), (dir / "movie.bin").string()}, env);
  ASSERT_EQ(saved.exit_code, 0) << saved.out;
  EXPECT_EQ(sha256File(dir / "movie.bin"), sha256File(dir / "www/movie.bin"));
  EXPECT_FALSE(std::filesystem::exists(dir / "none.sock"));
}
