// Redirects of uploads created with redirects "ask": the attached application's delegate decides
// (willPerformHTTPRedirection). Refused, the 3xx is the answer; followed, 307 resends the body
// byte-exact and 303 turns the POST into a GET. Without an attached application ferryd follows.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "support/servers.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

UploadOptions asking() {
  UploadOptions options;
  options.redirects = "ask";
  return options;
}

}  // namespace

TEST(UploadRedirect, TheDelegateRefusesA307AndGetsItAsTheAnswer) {
  TempDir dir;
  UploadServer server(dir, {"--redirect", "307:/old:/new.bin"});
  writeRandomFile(dir / "src.bin", 300'000, 71);
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  delegate->setFollowRedirects(false);
  auto session = Session::create(ferryd.config("refuser"), delegate);
  ASSERT_TRUE(session);
  auto task = (*session)->uploadTask(Request(server.url("/old")), dir / "src.bin", asking());
  ASSERT_TRUE(task) << task.error().describe();
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate->waitForCompletion(task->identifier())) << ferryd.log();
  auto c = *delegate->completion(task->identifier());
  ASSERT_TRUE(c.ok()) << c.error->describe();
  EXPECT_EQ(c.status_code, 307);
  const auto id = std::to_string(task->identifier());
  auto events = delegate->events();
  const auto asked = indexOf(events, "redirect:" + id + ":307:" + server.url("/new.bin"));
  ASSERT_NE(asked, -1) << ::testing::PrintToString(events);
  EXPECT_LT(asked, indexOf(events, "response:" + id + ":307"));
  EXPECT_LT(indexOf(events, "response:" + id + ":307"), indexOf(events, "complete:" + id + ":ok"));
  EXPECT_EQ(delegate->responseBody(task->identifier()), "moved\n");
  EXPECT_EQ(server.log().find("/new.bin"), std::string::npos) << server.log();
}

TEST(UploadRedirect, TheDelegateFollowsA307AndA303AfterPostBecomesAGet) {
  TempDir dir;
  UploadServer server(dir, {"--redirect", "307:/old:/new.bin", "--redirect", "303:/form:/done"});
  writeRandomFile(dir / "src.bin", 3 * MiB, 72);
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("follower"), delegate);
  ASSERT_TRUE(session);
  auto kept = (*session)->uploadTask(Request(server.url("/old")), dir / "src.bin", asking());
  ASSERT_TRUE(kept) << kept.error().describe();
  Request post(server.url("/form"));
  post.method = "POST";
  auto form = (*session)->uploadTask(post, dir / "src.bin", asking());
  ASSERT_TRUE(form) << form.error().describe();
  ASSERT_TRUE(kept->resume());
  ASSERT_TRUE(form->resume());
  ASSERT_TRUE(delegate->waitForCompletion(kept->identifier())) << ferryd.log();
  ASSERT_TRUE(delegate->waitForCompletion(form->identifier())) << ferryd.log();
  auto c = *delegate->completion(kept->identifier());
  ASSERT_TRUE(c.ok()) << c.error->describe();
  EXPECT_EQ(c.status_code, 201);
  EXPECT_EQ(sha256File(server.stored("new.bin")), sha256File(dir / "src.bin"));  // 307: the body went again
  auto events = delegate->events();
  EXPECT_NE(indexOf(events, "redirect:" + std::to_string(kept->identifier()) + ":307:" + server.url("/new.bin")), -1);
  EXPECT_NE(indexOf(events, "redirect:" + std::to_string(form->identifier()) + ":303:" + server.url("/done")), -1);
  auto g = *delegate->completion(form->identifier());
  ASSERT_TRUE(g.ok()) << g.error->describe();
  EXPECT_EQ(g.status_code, 200);
  EXPECT_EQ(delegate->responseBody(form->identifier()), "GET /done\n");
  EXPECT_NE(server.log().find("GET /done status=200 length=0"), std::string::npos) << server.log();
}

// A background session's application may be gone when the server redirects: ferryd follows.
TEST(UploadRedirect, WithoutAnAttachedApplicationFerrydFollows) {
  TempDir dir;
  UploadServer server(dir, {"--redirect", "308:/old:/new.bin"});
  writeRandomFile(dir / "src.bin", 1 * MiB, 73);
  Ferryd ferryd(dir.path());
  ferryd.start();
  std::uint64_t id = 0;
  {
    auto session = Session::create(ferryd.config("away"), std::make_shared<RecordingDelegate>());
    ASSERT_TRUE(session);
    auto task = (*session)->uploadTask(Request(server.url("/old")), dir / "src.bin", asking());
    ASSERT_TRUE(task);
    id = task->identifier();
  }  // detached before it starts
  auto control = ferryd.control();
  ASSERT_TRUE(control->resume(id));
  ASSERT_TRUE(waitUntil([&] { return std::filesystem::exists(server.stored("new.bin")) &&
                                     sha256File(server.stored("new.bin")) == sha256File(dir / "src.bin"); }))
      << ferryd.log() << server.log();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("away"), delegate);
  ASSERT_TRUE(session);
  ASSERT_TRUE(delegate->waitForCompletion(id)) << ferryd.log();
  auto c = *delegate->completion(id);
  ASSERT_TRUE(c.ok()) << c.error->describe();
  EXPECT_EQ(c.status_code, 201);
  EXPECT_EQ(delegate->count("redirect:"), 0);
  EXPECT_NE(ferryd.log().find("followed: no application attached"), std::string::npos) << ferryd.log();
}

namespace {

// Answers willPerformHTTPRedirection with "refuse" once the test lets it.
class HoldingDelegate : public RecordingDelegate {
 public:
  bool willPerformHTTPRedirection(Session& session, UploadTask& task, long status, const std::string& url) override {
    RecordingDelegate::willPerformHTTPRedirection(session, task, status, url);
    std::unique_lock lock(mutex_);
    asked_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return released_; });
    return false;
  }
  bool waitAsked() {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(60), [&] { return asked_; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool asked_ = false;
  bool released_ = false;
};

}  // namespace

TEST(UploadRedirect, AHeldTaskSaysItWaitsForTheDecision) {
  TempDir dir;
  UploadServer server(dir, {"--redirect", "307:/old:/new.bin"});
  writeRandomFile(dir / "src.bin", 1000, 75);
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<HoldingDelegate>();
  auto session = Session::create(ferryd.config("holder"), delegate);
  ASSERT_TRUE(session);
  auto task = (*session)->uploadTask(Request(server.url("/old")), dir / "src.bin", asking());
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate->waitAsked());
  auto waiting = [&] {
    auto tasks = (*session)->getAllTasks();
    return tasks && tasks->size() == 1 && tasks->front().waiting_for == "redirect-decision";
  };
  EXPECT_TRUE(waitUntil(waiting));
  delegate->release();
  ASSERT_TRUE(delegate->waitForCompletion(task->identifier()));
  EXPECT_EQ(delegate->completion(task->identifier())->status_code, 307);
  EXPECT_TRUE(delegate->completion(task->identifier())->ok());
}
