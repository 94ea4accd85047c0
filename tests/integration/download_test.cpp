// Downloads through a background session: the application goes away, ferryd finishes, the next
// attach gets the events and the file.

#include <gtest/gtest.h>

#include "harness.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {
}

TEST(Download, BigFileFinishesAfterTheApplicationLeavesAndIsHandedToTheNextAttach) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/big.bin", 512 * MiB, 7);
  const auto expected = sha256File(dir / "www/big.bin");
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();

  std::uint64_t id = 0;
  {
    auto session = Session::create(ferryd.config("app.big"), nullptr);
    ASSERT_TRUE(session) << session.error().describe();
    auto task = (*session)->downloadTask(nginx.url("/big.bin"));
    ASSERT_TRUE(task) << task.error().describe();
    id = task->identifier();
    ASSERT_TRUE(task->resume());
  }  // the application is gone: the session is detached, the task goes on

  auto control = ferryd.control();
  ASSERT_TRUE(waitUntil(
      [&] {
        auto tasks = control->list(std::string("app.big"));
        return tasks && tasks->size() == 1 && (*tasks)[0].state == "completed";
      },
      std::chrono::seconds(300)));

  std::filesystem::create_directories(dir / "keep");
  auto delegate = std::make_shared<RecordingDelegate>(dir / "keep");
  auto session = Session::create(ferryd.config("app.big"), delegate);
  ASSERT_TRUE(session) << session.error().describe();
  ASSERT_TRUE(delegate->waitForCompletion(id));
  ASSERT_TRUE(delegate->waitFor([&] { return delegate->count("drained") == 1; }));
  EXPECT_EQ(delegate->events(), (std::vector<std::string>{"finish:" + std::to_string(id),
                                                           "complete:" + std::to_string(id) + ":ok", "drained"}));
  auto kept = delegate->kept(id);
  ASSERT_TRUE(kept);
  EXPECT_EQ(sha256File(*kept), expected);
  EXPECT_EQ(delegate->completion(id)->status_code, 200);
}

TEST(Download, NamedDestinationIsRenamedIntoPlaceAndKept) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/f.bin", 3 * MiB + 17, 3);
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("dest"), delegate);
  ASSERT_TRUE(session);
  DownloadOptions options;
  options.destination = dir / "out.bin";
  auto task = (*session)->downloadTask(nginx.url("/f.bin"), options);
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate->waitForCompletion(task->identifier()));
  EXPECT_EQ(*delegate->location(task->identifier()), dir / "out.bin");
  EXPECT_TRUE(delegate->completion(task->identifier())->ok());
  EXPECT_EQ(sha256File(dir / "out.bin"), sha256File(dir / "www/f.bin"));
  // No temporary left behind anywhere in the state directory.
  for (const auto& sub : {"partial", "delivered"})
    EXPECT_TRUE(std::filesystem::is_empty(ferryd.stateDir() / sub)) << sub;
}

TEST(Download, FileNotMovedInTheCallbackIsRemovedWhenItReturns) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/f.bin", 100000, 4);
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();  // does not move the file
  auto session = Session::create(ferryd.config("tmp"), delegate);
  ASSERT_TRUE(session);
  auto task = (*session)->downloadTask(nginx.url("/f.bin"));
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate->waitForCompletion(task->identifier()));
  auto location = delegate->location(task->identifier());
  ASSERT_TRUE(location);
  EXPECT_TRUE(location->string().find(ferryd.stateDir().string()) == 0) << *location;
  // Removed once the acknowledgement is committed (moments after the callback returned).
  EXPECT_TRUE(waitUntil([&] { return !std::filesystem::exists(*location); }));
}

TEST(Download, NotFoundIsDeliveredWithItsBodyAndAnHttpError) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  std::filesystem::create_directories(dir / "keep");
  auto delegate = std::make_shared<RecordingDelegate>(dir / "keep");
  auto session = Session::create(ferryd.config("nf"), delegate);
  ASSERT_TRUE(session);
  auto task = (*session)->downloadTask(nginx.url("/missing.bin"));
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate->waitForCompletion(task->identifier()));
  auto c = *delegate->completion(task->identifier());
  ASSERT_TRUE(c.error);
  EXPECT_EQ(c.error->code, "http-error");
  EXPECT_EQ(c.status_code, 404);
  auto kept = delegate->kept(task->identifier());
  ASSERT_TRUE(kept);
  EXPECT_NE(readFile(*kept).find("404"), std::string::npos);
}

TEST(Download, BadUrlAndUnsupportedSchemeFailWithClearErrors) {
  TempDir dir;
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("bad"), delegate);
  ASSERT_TRUE(session);
  // ferryd checks the URL when the task is created, so the application hears at once.
  auto bad = (*session)->downloadTask("http://exa mple.com/\x01");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "bad-url");
  auto ftp = (*session)->downloadTask("ftp://127.0.0.1/file");
  ASSERT_FALSE(ftp);
  EXPECT_EQ(ftp.error().code, "unsupported-scheme");
  EXPECT_NE(ftp.error().message.find("ftp"), std::string::npos) << ftp.error().message;
  auto empty = (*session)->downloadTask("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, "bad-url");
}

TEST(Download, FerryctlDownloadWaitsAndExitsZeroWithTheFileInPlace) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/c.bin", 5 * MiB, 9);
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto out = dir / "c.out";
  auto r = ferryd.ferryctl({"download", nginx.url("/c.bin"), "-o", out.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(sha256File(out), sha256File(dir / "www/c.bin"));

  auto missing = ferryd.ferryctl({"download", nginx.url("/nope.bin"), "-o", (dir / "nope").string()});
  EXPECT_EQ(missing.exit_code, 1) << missing.out;
  EXPECT_NE(missing.out.find("404"), std::string::npos) << missing.out;

  auto bad = ferryd.ferryctl({"download", "notaurl", "-o", (dir / "x").string()});
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_NE(bad.out.find("bad-url"), std::string::npos) << bad.out;
}

TEST(Download, FerryctlDetachThenWaitCollectsTheFiles) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/a.bin", 2 * MiB, 1);
  writeRandomFile(dir / "www/b.bin", 3 * MiB, 2);
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  for (const char* name : {"a", "b"}) {
    auto r = ferryd.ferryctl({"download", nginx.url(std::string("/") + name + ".bin"), "-o",
                              (dir / (std::string(name) + ".out")).string(), "--detach", "--session", "batch"});
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  auto waited = ferryd.ferryctl({"wait", "--session", "batch"});
  EXPECT_EQ(waited.exit_code, 0) << waited.out;
  EXPECT_EQ(sha256File(dir / "a.out"), sha256File(dir / "www/a.bin"));
  EXPECT_EQ(sha256File(dir / "b.out"), sha256File(dir / "www/b.bin"));
  auto listed = ferryd.ferryctl({"list", "--session", "batch"});
  EXPECT_NE(listed.out.find("no tasks"), std::string::npos) << listed.out;
}

TEST(Download, TwoFerryctlDownloadsAtOnceBothSucceed) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/x.bin", 8 * MiB, 1);
  writeRandomFile(dir / "www/y.bin", 8 * MiB, 2);
  NginxServer nginx({dir / "www", "8m", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto ferryctl = (binDir() / "ferryctl").string();
  Process x({{ferryctl, "download", nginx.url("/x.bin"), "-o", (dir / "x.out").string()}, ferryd.env(), dir / "x.log", {}, std::nullopt});
  Process y({{ferryctl, "download", nginx.url("/y.bin"), "-o", (dir / "y.out").string()}, ferryd.env(), dir / "y.log", {}, std::nullopt});
  EXPECT_EQ(x.wait(std::chrono::seconds(60)), 0) << readFile(dir / "x.log");
  EXPECT_EQ(y.wait(std::chrono::seconds(60)), 0) << readFile(dir / "y.log");
  EXPECT_EQ(sha256File(dir / "x.out"), sha256File(dir / "www/x.bin"));
  EXPECT_EQ(sha256File(dir / "y.out"), sha256File(dir / "www/y.bin"));
}
