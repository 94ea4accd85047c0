// Integrity through ferryd (issue 16): DownloadOptions::expected_digest and ferryctl --checksum.
// A right digest delivers the bytes; a wrong one costs one refetch from zero and ends with
// `integrity` without a file at the destination; a kill -9 mid-download still ends verified.

#include <gtest/gtest.h>

#include <thread>

#include "harness.hpp"

using namespace ferry;
using namespace ferry::test;

TEST(DaemonIntegrity, WrongDigestRefetchesOnceThenIntegrityAndNoFileAtTheDestination) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/f.bin", 3 * MiB, 21);
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("integrity"), delegate);
  ASSERT_TRUE(session);
  DownloadOptions options;
  options.destination = dir / "out.bin";
  options.expected_digest = "sha-256=" + std::string(64, '0');
  options.start = true;
  auto task = (*session)->downloadTask(nginx.url("/f.bin"), options);
  ASSERT_TRUE(task);
  ASSERT_TRUE(delegate->waitForCompletion(task->identifier()));
  auto completion = delegate->completion(task->identifier());
  ASSERT_TRUE(completion && completion->error);
  EXPECT_EQ(completion->error->code, "integrity");
  EXPECT_NE(completion->error->message.find("sha-256=" + std::string(64, '0')), std::string::npos) << completion->error->message;
  EXPECT_NE(completion->error->message.find("sha-256=" + sha256File(dir / "www/f.bin")), std::string::npos)
      << completion->error->message;
  EXPECT_TRUE(completion->resume_data.empty());
  EXPECT_FALSE(std::filesystem::exists(dir / "out.bin"));
  EXPECT_EQ(delegate->count("finish:"), 0);
  // Two whole GETs: the first and the one refetch, neither with a Range.
  const std::string log = nginx.accessLog();
  EXPECT_EQ(countLinesStartingWith(log, "200 - /f.bin"), 2) << log;
  EXPECT_EQ(countLinesStartingWith(log, "206"), 0) << log;
}

TEST(DaemonIntegrity, KilledMidDownloadResumesAndIsStillVerified) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/big.bin", 48 * MiB, 22);
  const std::string expected = sha256File(dir / "www/big.bin");
  NginxServer nginx({dir / "www", "12m", ""});  // ~4 s: time to kill it
  Ferryd ferryd(dir.path(), {"--checkpoint-ms", "200"});
  ferryd.start();
  std::uint64_t id = 0;
  {
    auto session = Session::create(ferryd.config("kill"), nullptr);
    ASSERT_TRUE(session);
    DownloadOptions options;
    options.destination = dir / "big.out";
    options.expected_digest = "SHA-256=" + expected;
    options.start = true;
    auto task = (*session)->downloadTask(nginx.url("/big.bin"), options);
    ASSERT_TRUE(task);
    id = task->identifier();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  auto tasks = ferryd.control()->list(std::string("kill"));
  ASSERT_TRUE(tasks && tasks->size() == 1u);
  ASSERT_EQ((*tasks)[0].state, "running") << "finished too early to be killed";
  ferryd.kill9();
  ferryd.start();

  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("kill"), delegate);
  ASSERT_TRUE(session);
  ASSERT_TRUE(delegate->waitForCompletion(id, std::chrono::seconds(120)));
  ASSERT_TRUE(delegate->completion(id)->ok()) << delegate->completion(id)->error->describe();
  EXPECT_EQ(sha256File(dir / "big.out"), expected);
  const std::string log = nginx.accessLog();
  EXPECT_GE(countLinesStartingWith(log, "206 bytes="), 1) << log;  // resumed, not refetched
  EXPECT_EQ(countLinesStartingWith(log, "200 - /big.bin"), 1) << log;
}

// Suspend/resume and resume data start new engine jobs from a partial file: the prefix is hashed
// from the file and the digest travels with the task (and in the resume data's token).
TEST(DaemonIntegrity, SuspendResumeAndResumeDataStillVerify) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/r.bin", 16 * MiB, 24);
  const std::string right = "sha-256=" + sha256File(dir / "www/r.bin");
  NginxServer nginx({dir / "www", "8m", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("rd"), delegate);
  ASSERT_TRUE(session);

  DownloadOptions options;
  options.destination = dir / "suspended.bin";
  options.expected_digest = right;
  options.start = true;
  auto suspended = (*session)->downloadTask(nginx.url("/r.bin"), options);
  ASSERT_TRUE(suspended);
  ASSERT_TRUE(delegate->waitFor([&] { return delegate->lastWritten() > static_cast<std::int64_t>(MiB); }));
  ASSERT_TRUE(suspended->suspend());
  ASSERT_TRUE(suspended->resume());
  ASSERT_TRUE(delegate->waitForCompletion(suspended->identifier()));
  ASSERT_TRUE(delegate->completion(suspended->identifier())->ok()) << delegate->completion(suspended->identifier())->error->describe();
  EXPECT_EQ(sha256File(dir / "suspended.bin"), sha256File(dir / "www/r.bin"));

  // A wrong digest, cancelled with resume data mid-way: the continued task still checks it.
  auto second = std::make_shared<RecordingDelegate>();  // its own progress figure
  auto other = Session::create(ferryd.config("rd2"), second);
  ASSERT_TRUE(other);
  options.destination.clear();
  options.expected_digest = "sha-256=" + std::string(64, '1');
  auto cancelled = (*other)->downloadTask(nginx.url("/r.bin"), options);
  ASSERT_TRUE(cancelled);
  ASSERT_TRUE(second->waitFor([&] { return second->lastWritten() > static_cast<std::int64_t>(MiB); }));
  auto blob = cancelled->cancelByProducingResumeData();
  ASSERT_TRUE(blob) << blob.error().describe();
  DownloadOptions continued;
  continued.destination = dir / "continued.bin";
  continued.start = true;
  auto resumed = (*other)->downloadTaskWithResumeData(*blob, continued);
  ASSERT_TRUE(resumed) << resumed.error().describe();
  ASSERT_TRUE(second->waitForCompletion(resumed->identifier()));
  auto completion = second->completion(resumed->identifier());
  ASSERT_TRUE(completion && completion->error);
  EXPECT_EQ(completion->error->code, "integrity") << completion->error->message;
  EXPECT_NE(completion->error->message.find(std::string(64, '1')), std::string::npos) << completion->error->message;
  EXPECT_FALSE(std::filesystem::exists(dir / "continued.bin"));
  EXPECT_GE(countLinesStartingWith(nginx.accessLog(), "206 bytes="), 2) << nginx.accessLog();
}

TEST(FerryctlChecksum, RightChecksumPassesMalformedIsAUsageError) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/c.bin", 2 * MiB, 23);
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto out = dir / "c.out";
  auto ok = ferryd.ferryctl({"download", nginx.url("/c.bin"), "-o", out.string(), "--checksum",
                             "sha-256=" + sha256File(dir / "www/c.bin")});
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_EQ(sha256File(out), sha256File(dir / "www/c.bin"));

  auto wrong = ferryd.ferryctl({"download", nginx.url("/c.bin"), "-o", (dir / "w.out").string(), "--checksum",
                                "sha-512=" + sha256File(dir / "www/c.bin")});
  EXPECT_EQ(wrong.exit_code, 2) << wrong.out;  // 64 hex digits are not a SHA-512
  EXPECT_NE(wrong.out.find("--checksum"), std::string::npos) << wrong.out;
  EXPECT_NE(wrong.out.find("[invalid-argument]"), std::string::npos) << wrong.out;
  for (const char* malformed : {"sha-256", "md5=0123", "sha-256=nothex"}) {
    auto r = ferryd.ferryctl({"download", nginx.url("/c.bin"), "-o", (dir / "w.out").string(), "--checksum", malformed});
    EXPECT_EQ(r.exit_code, 2) << malformed << ": " << r.out;
    EXPECT_NE(r.out.find("sha-256=HEX"), std::string::npos) << r.out;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "w.out"));
  // The library refuses it before any round trip, with its stable code.
  auto session = Session::create(ferryd.config("lib"), nullptr);
  ASSERT_TRUE(session);
  DownloadOptions options;
  options.expected_digest = "sha-256=:short:";
  auto refused = (*session)->downloadTask(nginx.url("/c.bin"), options);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "invalid-argument");

  auto mismatch = ferryd.ferryctl({"download", nginx.url("/c.bin"), "-o", (dir / "m.out").string(), "--checksum",
                                   "sha-256=" + std::string(64, 'f')});
  EXPECT_EQ(mismatch.exit_code, 1) << mismatch.out;
  EXPECT_NE(mismatch.out.find("[integrity]"), std::string::npos) << mismatch.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "m.out"));
}
