// DownloadOptions::mirrors (issue 16) on the client's surfaces, through ferryd: ferryctl --mirror
// and libferry fetch one file's ranges from its URL and a good mirror (byte-exact), drop a mirror
// that fails and one that serves another file (ferryd's log names them with their reasons), and
// a refused list (too many, an empty or non-http URL) creates no task. The C and Python setters:
// tests/c_api/c_api_check.c, python/tests/test_ferry.py.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

// The mirrors of the request ferryd stored for a task (none when the request leaves them out).
std::vector<std::string> storedMirrors(const Ferryd& ferryd, std::uint64_t id) {
  const auto request = nlohmann::json::parse(ferryd.storedTaskColumn(id, "request_json"), nullptr, false);
  if (!request.is_object()) return {"(no stored request)"};
  return request.value("mirrors", std::vector<std::string>{});
}

// Whether ferryd's log has "task N: mirror URL dropped: ..." naming `reason` (each task here has
// its own URLs).
bool logSays(const std::string& log, const std::string& url, const std::string& reason) {
  const auto at = log.find(": mirror " + url + " dropped: ");
  return at != std::string::npos && log.substr(at, log.find('\n', at) - at).find(reason) != std::string::npos;
}

// Under dir: www/NAME (the primary's), good/NAME (the same file), other/NAME (another file).
void writeMirroredFile(const TempDir& dir, const std::string& name, std::uint64_t seed) {
  for (const char* root : {"www", "good", "other"}) std::filesystem::create_directories(dir / root);
  writeRandomFile(dir / "www" / name, 6 * MiB, seed);
  copyWithItsTime(dir / "www" / name, dir / "good" / name);
  writeRandomFile(dir / "other" / name, 6 * MiB + 1, seed + 1);
}

NginxServer::Options failingNginx(const std::filesystem::path& root) {
  return {root, "", "location / { return 500; }"};
}

// A line of nginx's access log for a range of `path` ("206 bytes=A-B /path"), waited for.
bool servedRangeOf(const NginxServer& nginx, const std::string& path) {
  std::istringstream log(nginx.accessLogOnceItHas(" " + path));
  for (std::string line; std::getline(log, line);)
    if (line.rfind("206 bytes=", 0) == 0 && line.ends_with(" " + path)) return true;
  return false;
}

}  // namespace

TEST(DaemonMirrors, FerryctlAndLibferryUseTheGoodMirrorAndDropTheBadOnes) {
  TempDir dir;
  writeMirroredFile(dir, "a.bin", 41);
  writeMirroredFile(dir, "b.bin", 51);
  // 4 MiB/s per connection: a 6 MiB file takes several connections' worth of time.
  NginxServer primary({dir / "www", "4m", ""});
  NginxServer good({dir / "good", "4m", ""});
  NginxServer other({dir / "other", "4m", ""});
  NginxServer failing(failingNginx(dir / "www"));
  Ferryd ferryd(dir.path());
  ferryd.start();

  auto done = ferryd.ferryctl({"download", primary.url("/a.bin"), "--mirror", failing.url("/a.bin"), "--mirror",
                               other.url("/a.bin"), "--mirror", good.url("/a.bin"), "-x", "4", "-o", (dir / "a.out").string()});
  ASSERT_EQ(done.exit_code, 0) << done.out;
  EXPECT_EQ(sha256File(dir / "a.out"), sha256File(dir / "www/a.bin"));
  EXPECT_TRUE(servedRangeOf(good, "/a.bin")) << good.accessLog();

  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("mirrors"), delegate);
  ASSERT_TRUE(session);
  DownloadOptions options;
  options.destination = dir / "b.out";
  options.start = true;
  options.mirrors = {failing.url("/b.bin"), other.url("/b.bin"), good.url("/b.bin")};  // 1 connection asked: 4 used
  auto task = (*session)->downloadTask(primary.url("/b.bin"), options);
  ASSERT_TRUE(task) << task.error().describe();
  EXPECT_EQ(storedMirrors(ferryd, task->identifier()), options.mirrors);
  ASSERT_TRUE(delegate->waitForCompletion(task->identifier()));
  ASSERT_TRUE(delegate->completion(task->identifier())->ok()) << delegate->completion(task->identifier())->error->describe();
  EXPECT_EQ(sha256File(dir / "b.out"), sha256File(dir / "www/b.bin"));
  EXPECT_TRUE(servedRangeOf(good, "/b.bin")) << good.accessLog();

  // Both tasks dropped the two bad mirrors, each with its reason, and kept the good one.
  const std::string log = ferryd.log();
  for (const std::string path : {"/a.bin", "/b.bin"}) {
    EXPECT_TRUE(logSays(log, failing.url(path), "500")) << log;
    EXPECT_TRUE(logSays(log, other.url(path), "not the same one")) << log;
    EXPECT_EQ(log.find("mirror " + good.url(path) + " dropped"), std::string::npos) << log;
  }
}

TEST(SessionMirrors, TooManyOrEmptyAreRefusedBeforeSendingOthersReachFerryd) {
  TempDir dir;
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto session = Session::create(ferryd.config("mirrors"), nullptr);
  ASSERT_TRUE(session);
  const std::string url = "http://127.0.0.1:9/f.bin";  // suspended tasks: never fetched
  const std::string mirror = "http://127.0.0.1:9/m.bin";
  for (const auto& bad : {std::vector<std::string>(9, mirror), std::vector<std::string>{mirror, ""}}) {
    DownloadOptions options;
    options.mirrors = bad;
    auto refused = (*session)->downloadTask(url, options);
    ASSERT_FALSE(refused) << bad.size();
    EXPECT_EQ(refused.error().code, "invalid-argument");
    EXPECT_NE(refused.error().message.find(bad.size() == 9 ? "at most 8 mirrors" : "mirror is empty"), std::string::npos)
        << refused.error().message;
  }
  DownloadOptions ftp;
  ftp.mirrors = {"ftp://127.0.0.1/m.bin"};  // the engine would end the whole download on it
  auto refused = (*session)->downloadTask(url, ftp);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "bad-url");
  EXPECT_NE(refused.error().message.find("ftp://127.0.0.1/m.bin"), std::string::npos) << refused.error().message;
  EXPECT_EQ(ferryd.taskCount(), 0u);

  DownloadOptions eight;
  eight.mirrors.assign(8, mirror);
  auto task = (*session)->downloadTask(url, eight);
  ASSERT_TRUE(task) << task.error().describe();
  EXPECT_EQ(storedMirrors(ferryd, task->identifier()), eight.mirrors);

  // A batch: the refused entry gets its error, the others are created with their mirrors.
  std::vector<DownloadRequest> batch(3, DownloadRequest{url, {}});
  batch[0].options.mirrors = {mirror};
  batch[1].options.mirrors.assign(9, mirror);
  auto created = (*session)->downloadTasks(batch);
  ASSERT_EQ(created.size(), 3u);
  ASSERT_TRUE(created[0]) << created[0].error().describe();
  EXPECT_EQ(storedMirrors(ferryd, created[0]->identifier()), std::vector<std::string>{mirror});
  ASSERT_FALSE(created[1]);
  EXPECT_EQ(created[1].error().code, "invalid-argument");
  ASSERT_TRUE(created[2]) << created[2].error().describe();
  EXPECT_TRUE(storedMirrors(ferryd, created[2]->identifier()).empty());
  EXPECT_EQ(ferryd.taskCount(), 3u);
}

TEST(FerryctlMirrors, ReachFerrydAndBadListsAreUsageErrors) {
  TempDir dir;
  Ferryd ferryd(dir.path());
  ferryd.start();
  const std::string url = "http://127.0.0.1:9/f.bin";
  const std::string mirror = "http://127.0.0.1:9/m.bin";
  // Held an hour: the stored request is what ferryd will run.
  auto held = ferryd.ferryctl({"download", url, "-o", (dir / "held.out").string(), "--mirror", mirror, "--mirror",
                               "HTTPS://127.0.0.1:9/n.bin", "--detach", "--begin-at", "+3600"});
  ASSERT_EQ(held.exit_code, 0) << held.out;
  EXPECT_EQ(storedMirrors(ferryd, std::stoull(held.out)), (std::vector<std::string>{mirror, "HTTPS://127.0.0.1:9/n.bin"}));

  {
    std::ofstream list(dir / "list.txt");
    list << url << " -o " << (dir / "a.out").string() << "\n";
  }
  std::vector<std::string> nine{"download", url, "-o", (dir / "bad.out").string()};
  for (int i = 0; i < 9; ++i) nine.insert(nine.end(), {"--mirror", mirror});
  const std::vector<std::pair<std::vector<std::string>, std::string>> refusals{
      {nine, "at most 8 mirrors"},
      {{"download", url, "-o", (dir / "bad.out").string(), "--mirror", ""}, "http:// or https://"},
      {{"download", url, "-o", (dir / "bad.out").string(), "--mirror", "ftp://127.0.0.1/m.bin"}, "http:// or https://"},
      {{"download", url, "-o", (dir / "bad.out").string(), "--mirror", "http://a b/m.bin"}, "http:// or https://"},
      {{"download", "-i", (dir / "list.txt").string(), "--mirror", mirror}, "--mirror"}};
  const auto before = ferryd.taskCount();
  for (const auto& [args, says] : refusals) {
    auto r = ferryd.ferryctl(args);
    EXPECT_EQ(r.exit_code, 2) << args.back() << ": " << r.out;
    EXPECT_NE(r.out.find(says), std::string::npos) << r.out;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.out"));
  EXPECT_EQ(ferryd.taskCount(), before);
}
