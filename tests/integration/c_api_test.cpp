// libferry's C API from a C program (tests/c_api/c_api_check.c, built as C11 with -Werror): each
// test starts the servers and ferryd, runs one of the program's scenarios, and checks what it
// printed and the bytes it left. The program checks every call's code itself ("FAIL: ..." lines).

#include <gtest/gtest.h>

#include "harness.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {
CommandResult runCheck(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {}) {
  std::vector<std::string> argv{(binDir() / "ferry-c-api-check").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return runCommand(argv, env);
}

// `size` random bytes at dir/www/movie.bin, for nginx to serve.
std::filesystem::path movie(const TempDir& dir, std::uint64_t size, std::uint64_t seed) {
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/movie.bin", size, seed);
  return dir / "www/movie.bin";
}

bool passed(const CommandResult& r) { return r.exit_code == 0 && r.out.find("PASS\n") != std::string::npos; }
bool printed(const CommandResult& r, const std::string& line) { return r.out.find(line) != std::string::npos; }
}  // namespace

TEST(CApi, NullAndFreedHandlesGiveErrorCodesNeverACrash) {
  TempDir dir;
  auto r = runCheck({"handles"}, {{"FERRY_SOCKET", (dir / "none.sock").string()}});
  EXPECT_TRUE(passed(r)) << r.out;
}

TEST(CApi, ABackgroundDownloadOutlivesTheProgramAndTheNextRunGetsItsEvents) {
  TempDir dir;
  movie(dir, 3 * MiB, 71);
  NginxServer nginx({dir / "www", "1m", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  const auto destination = dir / "movie.bin";
  auto handed = runCheck({"hand-over", nginx.url("/movie.bin"), destination.string()}, ferryd.env());
  ASSERT_TRUE(passed(handed)) << handed.out << ferryd.log();
  ASSERT_TRUE(printed(handed, "task 1\n")) << handed.out;
  EXPECT_TRUE(printed(handed, "listed 1 download running C API hand-over destination=" + destination.string() + "\n"))
      << handed.out;
  ASSERT_TRUE(waitUntil([&] {
    auto tasks = ferryd.control()->list(std::string("com.example.c-api"));
    return tasks && tasks->size() == 1 && (*tasks)[0].state == "completed";
  }, std::chrono::seconds(60))) << ferryd.log();
  auto collected = runCheck({"collect"}, ferryd.env());
  ASSERT_TRUE(passed(collected)) << collected.out << ferryd.log();
  EXPECT_TRUE(printed(collected, "finished 1 at " + destination.string() + "\n")) << collected.out;
  EXPECT_TRUE(printed(collected, "complete 1 ok 200\n")) << collected.out;
  // The finished event before the completion, both before "drained"; invalidation last.
  auto finished = collected.out.find("finished 1"), complete = collected.out.find("complete 1"),
       drained = collected.out.find("drained"), invalid = collected.out.find("invalid ok");
  EXPECT_LT(finished, complete);
  EXPECT_LT(complete, drained);
  EXPECT_NE(invalid, std::string::npos) << collected.out;
  EXPECT_EQ(sha256File(destination), sha256File(dir / "www/movie.bin"));
  // The request's header reached the server.
  EXPECT_NE(nginx.accessLogOnceItHas("/movie.bin").find("/movie.bin"), std::string::npos);
}

// ferry_session_download_many: one call, each entry its own task or its own refusal.
TEST(CApi, ManyDownloadsInOneCallEachWithItsOwnOutcome) {
  TempDir dir;
  movie(dir, 64 * 1024, 73);
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto r = runCheck({"many", nginx.url("/movie.bin"), dir.path().string()}, ferryd.env());
  ASSERT_TRUE(passed(r)) << r.out << ferryd.log();
  EXPECT_TRUE(printed(r, "many ok not-found bad-url\n")) << r.out;
  EXPECT_EQ(sha256File(dir / "many-a.bin"), sha256File(dir / "www/movie.bin"));
}

// ferry_session_download_group: two files as one group, both in place; a bad group refused whole.
TEST(CApi, ADownloadGroupPutsEveryFileInPlace) {
  TempDir dir;
  movie(dir, 64 * 1024, 75);
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto r = runCheck({"group", nginx.url("/movie.bin"), dir.path().string()}, ferryd.env());
  ASSERT_TRUE(passed(r)) << r.out << ferryd.log();
  EXPECT_TRUE(printed(r, "group ")) << r.out;
  EXPECT_EQ(sha256File(dir / "group-a.bin"), sha256File(dir / "www/movie.bin"));
  EXPECT_EQ(sha256File(dir / "group-b.bin"), sha256File(dir / "www/movie.bin"));
}

TEST(CApi, UploadsFromBytesAndFromAFile) {
  TempDir dir;
  UploadServer server(dir);
  writeRandomFile(dir / "body.bin", 2 * MiB, 72);
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto r = runCheck({"upload", server.url("/upload/c-api.bin"), (dir / "body.bin").string()}, ferryd.env());
  ASSERT_TRUE(passed(r)) << r.out << ferryd.log();
  EXPECT_TRUE(printed(r, "response 1 201 content-type=1\n")) << r.out;
  // The second upload (the file) replaced the first under the same name; the log has both.
  EXPECT_EQ(sha256File(server.stored("c-api.bin")), sha256File(dir / "body.bin"));
  auto log = server.log();
  EXPECT_NE(log.find("PUT /upload/c-api.bin status=201 length=13 sha256=" + sha256Bytes("bytes from C\n")),
            std::string::npos) << log;
  EXPECT_NE(log.find("POST /upload/c-api.bin status=201 length=" + std::to_string(2 * MiB)), std::string::npos) << log;
}

TEST(CApi, ACancelledDownloadContinuesFromItsResumeData) {
  TempDir dir;
  movie(dir, 4 * MiB, 73);
  NginxServer nginx({dir / "www", "2m", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  const auto destination = dir / "movie.bin";
  auto r = runCheck({"resume-data", nginx.url("/movie.bin"), destination.string()}, ferryd.env());
  ASSERT_TRUE(passed(r)) << r.out << ferryd.log();
  EXPECT_TRUE(printed(r, "complete 1 cancelled")) << r.out;
  EXPECT_TRUE(printed(r, "resume 2 at ")) << r.out;
  EXPECT_TRUE(printed(r, "complete 2 ok 206\n")) << r.out;
  EXPECT_EQ(sha256File(destination), sha256File(dir / "www/movie.bin"));
  EXPECT_NE(nginx.accessLogOnceItHas("206").find("206"), std::string::npos);
}

TEST(CApi, AnInProcessSessionRunsDataTasksThroughTheDelegateAndAHandler) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/page.bin", 300 * 1024, 74);
  NginxServer nginx({dir / "www", "", ""});
  // No ferryd: an in-process session needs none.
  auto r = runCheck({"in-process", nginx.url("/page.bin")}, {{"FERRY_SOCKET", (dir / "none.sock").string()}});
  ASSERT_TRUE(passed(r)) << r.out;
  EXPECT_TRUE(printed(r, "data task 307200 bytes\n")) << r.out;
  EXPECT_TRUE(printed(r, "answer 200 307200 ok\n")) << r.out;
  EXPECT_TRUE(printed(r, "invalid ok")) << r.out;
}

TEST(CApi, DaemonStatusIsJson) {
  TempDir dir;
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto r = runCheck({"status"}, ferryd.env());
  ASSERT_TRUE(passed(r)) << r.out;
  EXPECT_TRUE(printed(r, "\"socket\":\"" + ferryd.socket().string() + "\"")) << r.out;
}
