// The same task API against both kinds of session: a background session (ferryd) and a default
// session (in this process). Every case runs twice, byte-exact, against nginx on loopback.

#include <gtest/gtest.h>

#include <sstream>

#include "harness.hpp"
#include "support/servers.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

// nginx serving www/, a slow /slow/ location, a redirect, a DAV location for uploads.
const std::string kBothSessionsNginx = kNginxDavLocation +
                                       " location /slow/ { limit_rate 1m; }"
                                       " location = /moved { return 302 /file.bin; }";

class BothSessions : public testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "www" / "slow");
    writeRandomFile(dir_ / "www" / "file.bin", 3 * MiB + 17, 7);
    writeRandomFile(dir_ / "www" / "slow" / "big.bin", 4 * MiB, 8);
    nginx_ = std::make_unique<NginxServer>(NginxServer::Options{dir_ / "www", "", kBothSessionsNginx});
    delegate_ = std::make_shared<RecordingDelegate>();
    if (GetParam() == Kind::background) {
      ferryd_ = std::make_unique<Ferryd>(dir_.path());
      ferryd_->start();
    }
    auto session = Session::create(configuration(), delegate_);
    ASSERT_TRUE(session) << session.error().describe();
    session_ = std::move(*session);
  }

  Configuration configuration() {
    if (GetParam() == Kind::background) return ferryd_->config("both");
    return Configuration::defaults().resumeDirectory(dir_ / "resume");
  }

  Completion complete(std::uint64_t id) {
    EXPECT_TRUE(delegate_->waitForCompletion(id));
    return delegate_->completion(id).value_or(Completion{});
  }

  std::string url(const std::string& path) { return nginx_->url(path); }

  TempDir dir_;
  std::unique_ptr<NginxServer> nginx_;
  std::unique_ptr<Ferryd> ferryd_;
  std::shared_ptr<RecordingDelegate> delegate_;
  std::unique_ptr<Session> session_;
};

}  // namespace

TEST_P(BothSessions, DownloadArrivesByteExactAndItsTemporaryFileGoes) {
  auto task = session_->downloadTask(url("/file.bin"));
  ASSERT_TRUE(task) << task.error().describe();
  ASSERT_TRUE(task->resume());
  auto c = complete(task->identifier());
  ASSERT_TRUE(c.ok()) << c.error->describe();
  EXPECT_EQ(c.status_code, 200);
  const auto id = std::to_string(task->identifier());
  auto events = delegate_->events();
  ASSERT_NE(indexOf(events, "finish:" + id), -1);
  EXPECT_LT(indexOf(events, "finish:" + id), indexOf(events, "complete:" + id + ":ok"));
  EXPECT_EQ(delegate_->lastWritten(), static_cast<std::int64_t>(3 * MiB + 17));
  auto location = delegate_->location(task->identifier());
  ASSERT_TRUE(location);
  // Not moved by the delegate: removed once didFinishDownloadingTo returned.
  EXPECT_TRUE(waitUntil([&] { return !std::filesystem::exists(*location); }));
}

TEST_P(BothSessions, DownloadToADestinationStaysThere) {
  DownloadOptions options;
  options.destination = dir_ / "saved.bin";
  options.start = true;
  auto task = session_->downloadTask(url("/file.bin"), options);
  ASSERT_TRUE(task) << task.error().describe();
  ASSERT_TRUE(complete(task->identifier()).ok());
  EXPECT_EQ(sha256File(dir_ / "saved.bin"), sha256File(dir_ / "www" / "file.bin"));
  EXPECT_EQ(*delegate_->location(task->identifier()), dir_ / "saved.bin");
}

TEST_P(BothSessions, RedirectIsFollowed) {
  DownloadOptions options;
  options.destination = dir_ / "moved.bin";
  options.start = true;
  auto task = session_->downloadTask(url("/moved"), options);
  ASSERT_TRUE(task);
  auto c = complete(task->identifier());
  ASSERT_TRUE(c.ok()) << c.error->describe();
  EXPECT_EQ(sha256File(dir_ / "moved.bin"), sha256File(dir_ / "www" / "file.bin"));
}

TEST_P(BothSessions, NotFoundDeliversTheAnswerBodyAndHttpError) {
  DownloadOptions options;
  options.destination = dir_ / "answer.html";
  options.start = true;
  auto task = session_->downloadTask(url("/missing.bin"), options);
  ASSERT_TRUE(task);
  auto c = complete(task->identifier());
  ASSERT_TRUE(c.error);
  EXPECT_EQ(c.error->code, "http-error");
  EXPECT_EQ(c.status_code, 404);
  EXPECT_NE(readFile(dir_ / "answer.html").find("404"), std::string::npos);
}

TEST_P(BothSessions, SuspendAndResumeContinueFromTheOffset) {
  DownloadOptions options;
  options.destination = dir_ / "big.bin";
  options.start = true;
  auto task = session_->downloadTask(url("/slow/big.bin"), options);
  ASSERT_TRUE(task);
  ASSERT_TRUE(delegate_->waitFor([&] { return delegate_->lastWritten() > 300 * 1024; }));
  ASSERT_TRUE(task->suspend());
  ASSERT_TRUE(waitUntil([&] {
    auto tasks = session_->getAllTasks();
    return tasks && tasks->size() == 1 && tasks->front().state == "suspended";
  }));
  ASSERT_TRUE(task->resume());
  auto c = complete(task->identifier());
  ASSERT_TRUE(c.ok()) << c.error->describe();
  // The second request asked for the rest only.
  EXPECT_NE(nginx_->accessLogOnceItHas("206 bytes=").find("206 bytes="), std::string::npos) << nginx_->accessLog();
  EXPECT_EQ(sha256File(dir_ / "big.bin"), sha256File(dir_ / "www" / "slow" / "big.bin"));
}

TEST_P(BothSessions, CancelEndsTheTaskCancelled) {
  auto task = session_->downloadTask(url("/slow/big.bin"));
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate_->waitFor([&] { return delegate_->lastWritten() > 0; }));
  ASSERT_TRUE(task->cancel());
  auto c = complete(task->identifier());
  ASSERT_TRUE(c.error);
  EXPECT_EQ(c.error->code, "cancelled");
  EXPECT_EQ(delegate_->count("finish:"), 0);
  auto again = task->resume();
  ASSERT_FALSE(again);
  // ferryd forgets an ended task once its events are delivered; an in-process session keeps it.
  EXPECT_TRUE(again.error().is("invalid-state") || again.error().is("not-found")) << again.error().describe();
}

// A segmented download's resume data keeps every segment where it was, in both kinds of session.
TEST_P(BothSessions, SegmentedCancelWithResumeDataContinuesEverySegment) {
  writeRandomFile(dir_ / "www" / "slow" / "seg.bin", 8 * MiB, 9);
  DownloadOptions first;
  first.connections = 2;
  auto task = session_->downloadTask(url("/slow/seg.bin"), first);
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  // Past 4.5 MiB both 4 MiB segments have bytes (at 1 MiB/s each, some 2 s before the end).
  ASSERT_TRUE(delegate_->waitFor([&] { return delegate_->lastWritten() > static_cast<std::int64_t>(9 * MiB / 2); }));
  auto blob = task->cancelByProducingResumeData();
  ASSERT_TRUE(blob) << blob.error().describe();
  DownloadOptions options;
  options.destination = dir_ / "segmented.bin";
  options.start = true;
  auto resumed = session_->downloadTaskWithResumeData(*blob, options);
  ASSERT_TRUE(resumed) << resumed.error().describe();
  auto c = complete(resumed->identifier());
  ASSERT_TRUE(c.ok()) << c.error->describe();
  EXPECT_EQ(sha256File(dir_ / "segmented.bin"), sha256File(dir_ / "www" / "slow" / "seg.bin"));
  const std::string log = nginx_->accessLog();
  EXPECT_EQ(countLinesStartingWith(log, "206 bytes=0- /slow/seg.bin"), 1) << log;  // one plan
  // Each segment asked for from its start once, then continued from where it was.
  EXPECT_EQ(countLinesStartingWith(log, "206 bytes=0-4194303 "), 1) << log;
  EXPECT_EQ(countLinesStartingWith(log, "206 bytes=4194304-8388607 "), 1) << log;
  EXPECT_EQ(countLinesStartingWith(log, "206 bytes="), 5) << log;
}

TEST_P(BothSessions, CancelWithResumeDataContinuesByteExact) {
  auto task = session_->downloadTask(url("/slow/big.bin"));
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate_->waitFor([&] { return delegate_->lastWritten() > 300 * 1024; }));
  auto blob = task->cancelByProducingResumeData();
  ASSERT_TRUE(blob) << blob.error().describe();
  ASSERT_FALSE(blob->empty());
  DownloadOptions options;
  options.destination = dir_ / "resumed.bin";
  options.start = true;
  auto resumed = session_->downloadTaskWithResumeData(*blob, options);
  ASSERT_TRUE(resumed) << resumed.error().describe();
  auto c = complete(resumed->identifier());
  ASSERT_TRUE(c.ok()) << c.error->describe();
  auto offsets = delegate_->resumeOffsets(resumed->identifier());
  ASSERT_FALSE(offsets.empty());
  EXPECT_GT(offsets.front(), 0);
  EXPECT_EQ(sha256File(dir_ / "resumed.bin"), sha256File(dir_ / "www" / "slow" / "big.bin"));
  // Single use.
  auto twice = session_->downloadTaskWithResumeData(*blob);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, "resume-data-stale");
}

TEST_P(BothSessions, TamperedResumeDataIsRefused) {
  auto task = session_->downloadTask(url("/slow/big.bin"));
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate_->waitFor([&] { return delegate_->lastWritten() > 0; }));
  auto blob = task->cancelByProducingResumeData();
  ASSERT_TRUE(blob);
  std::string altered = *blob;
  altered[altered.size() / 3] = altered[altered.size() / 3] == 'A' ? 'B' : 'A';
  auto refused = session_->downloadTaskWithResumeData(altered);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code.rfind("resume-data-", 0), 0u) << refused.error().describe();
  auto garbage = session_->downloadTaskWithResumeData("not resume data at all");
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code, "resume-data-invalid");
}

TEST_P(BothSessions, UploadFromFileAndFromBytesArriveByteExact) {
  writeRandomFile(dir_ / "up.bin", 2 * MiB + 3, 9);
  auto from_file = session_->uploadTask(Request(url("/dav/from-file.bin")), dir_ / "up.bin");
  ASSERT_TRUE(from_file) << from_file.error().describe();
  ASSERT_TRUE(from_file->resume());
  const std::string bytes = randomBytes(100000, 3);
  auto from_bytes = session_->uploadTaskWithData(Request(url("/dav/from-bytes.bin")), bytes);
  ASSERT_TRUE(from_bytes);
  ASSERT_TRUE(from_bytes->resume());
  auto a = complete(from_file->identifier());
  auto b = complete(from_bytes->identifier());
  ASSERT_TRUE(a.ok()) << a.error->describe();
  ASSERT_TRUE(b.ok()) << b.error->describe();
  EXPECT_EQ(a.status_code, 201);
  EXPECT_EQ(sha256File(dir_ / "www" / "dav" / "from-file.bin"), sha256File(dir_ / "up.bin"));
  EXPECT_EQ(readFile(dir_ / "www" / "dav" / "from-bytes.bin"), bytes);
  const auto id = std::to_string(from_file->identifier());
  auto events = delegate_->events();
  EXPECT_LT(indexOf(events, "response:" + id + ":201"), indexOf(events, "complete:" + id + ":ok"));
}

namespace {
class StreamingDelegate : public RecordingDelegate {
 public:
  explicit StreamingDelegate(std::string body) : body_(std::move(body)) {}
  std::unique_ptr<std::istream> needNewBodyStream(Session&, UploadTask&) override {
    return std::make_unique<std::istringstream>(body_);
  }

 private:
  std::string body_;
};
}  // namespace

TEST_P(BothSessions, StreamedUploadArrivesByteExact) {
  const std::string body = randomBytes(300000, 5);
  auto delegate = std::make_shared<StreamingDelegate>(body);
  session_.reset();
  auto session = Session::create(GetParam() == Kind::background ? ferryd_->config("streams") : configuration(), delegate);
  ASSERT_TRUE(session);
  auto task = (*session)->uploadTaskWithStreamedRequest(Request(url("/dav/streamed.bin")), body.size());
  ASSERT_TRUE(task) << task.error().describe();
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate->waitForCompletion(task->identifier()));
  auto c = *delegate->completion(task->identifier());
  ASSERT_TRUE(c.ok()) << c.error->describe();
  EXPECT_EQ(readFile(dir_ / "www" / "dav" / "streamed.bin"), body);
}

TEST_P(BothSessions, FinishTasksAndInvalidateEndsAfterTheLastTask) {
  auto task = session_->downloadTask(url("/file.bin"));
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(session_->finishTasksAndInvalidate());
  ASSERT_TRUE(delegate_->waitFor([&] { return delegate_->count("invalid") == 1; }));
  auto events = delegate_->events();
  EXPECT_LT(indexOf(events, "complete:" + std::to_string(task->identifier()) + ":ok"), indexOf(events, "invalid"));
  auto refused = session_->downloadTask(url("/file.bin"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "session-invalidated");
}

TEST_P(BothSessions, InvalidateAndCancelCancelsRunningTasks) {
  auto task = session_->downloadTask(url("/slow/big.bin"));
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(session_->invalidateAndCancel());
  auto c = complete(task->identifier());
  ASSERT_TRUE(c.error);
  EXPECT_EQ(c.error->code, "cancelled");
  ASSERT_TRUE(delegate_->waitFor([&] { return delegate_->count("invalid") == 1; }));
}

TEST_P(BothSessions, MalformedUrlAndMissingUploadFileAreClearErrors) {
  auto bad = session_->downloadTask(Request("http://[::1"));
  if (bad) {
    // The URL's syntax is the engine's to judge: the task ends with bad-url.
    ASSERT_TRUE(bad->resume());
    auto c = complete(bad->identifier());
    ASSERT_TRUE(c.error);
    EXPECT_EQ(c.error->code, "bad-url") << c.error->describe();
  }
  auto missing = session_->uploadTask(Request(url("/dav/x.bin")), dir_ / "no-such-file.bin");
  if (missing) {
    ASSERT_TRUE(missing->resume());
    auto c = complete(missing->identifier());
    ASSERT_TRUE(c.error);
    EXPECT_EQ(c.error->code, "not-found") << c.error->describe();
  } else {
    EXPECT_EQ(missing.error().code, "not-found") << missing.error().describe();
  }
  // Nothing else disturbed: a good download still works.
  auto good = session_->downloadTask(url("/file.bin"));
  ASSERT_TRUE(good);
  ASSERT_TRUE(good->resume());
  EXPECT_TRUE(complete(good->identifier()).ok());
}

INSTANTIATE_TEST_SUITE_P(Kinds, BothSessions, testing::Values(Kind::background, Kind::in_process), kindName);
