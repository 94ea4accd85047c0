// Default sessions: data tasks, the convenience calls (handlers and futures), the delegate queue,
// and what a background session says to them. Real nginx on loopback; no ferryd is started.

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <thread>

#include "harness.hpp"
#include "support/servers.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

class InProcess : public testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "www");
    writeFile(dir_ / "www" / "hello.txt", "hello, ferry\n");
    writeRandomFile(dir_ / "www" / "big.bin", 2 * MiB, 4);
    nginx_ = std::make_unique<NginxServer>(NginxServer::Options{dir_ / "www", "", kNginxDavLocation});
  }
  std::unique_ptr<Session> session(Configuration c = Configuration::defaults(),
                                   std::shared_ptr<SessionDelegate> d = nullptr) {
    auto s = Session::create(c.resumeDirectory(dir_ / "resume"), std::move(d));
    EXPECT_TRUE(s) << s.error().describe();
    return s ? std::move(*s) : nullptr;
  }
  std::string url(const std::string& path) { return nginx_->url(path); }

  TempDir dir_;
  std::unique_ptr<NginxServer> nginx_;
};

// Runs posted work on a thread of its own, as an application's main loop would.
class LoopQueue : public DelegateQueue {
 public:
  LoopQueue() : thread_([this] { run(); }) {}
  ~LoopQueue() override {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void post(std::function<void()> work) override {
    {
      std::lock_guard lock(mutex_);
      work_.push_back(std::move(work));
    }
    cv_.notify_all();
  }
  std::thread::id id() const { return thread_.get_id(); }
  int ran() const { return ran_.load(); }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || !work_.empty(); });
      if (work_.empty()) return;
      auto w = std::move(work_.front());
      work_.pop_front();
      lock.unlock();
      w();
      ++ran_;
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> work_;
  bool stop_ = false;
  std::atomic<int> ran_{0};
  std::thread thread_;
};

}  // namespace

TEST_F(InProcess, DataFutureGivesTheBodyAndHeaders) {
  auto s = session();
  auto answer = s->data(url("/hello.txt")).get();
  ASSERT_TRUE(answer) << answer.error().describe();
  EXPECT_EQ(answer->status_code, 200);
  EXPECT_EQ(answer->body, "hello, ferry\n");
  bool has_length = false;
  for (const auto& [name, value] : answer->headers)
    if (name == "Content-Length") has_length = value == "13";
  EXPECT_TRUE(has_length);
}

TEST_F(InProcess, DataTaskDelegateGetsResponseDataComplete) {
  auto delegate = std::make_shared<RecordingDelegate>();
  auto s = session(Configuration::defaults(), delegate);
  auto task = s->dataTask(url("/hello.txt"));
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate->waitForCompletion(task->identifier()));
  const auto id = std::to_string(task->identifier());
  auto events = delegate->events();
  ASSERT_NE(indexOf(events, "response:" + id + ":200"), -1);
  EXPECT_LT(indexOf(events, "response:" + id + ":200"), indexOf(events, "data:" + id));
  EXPECT_LT(indexOf(events, "data:" + id), indexOf(events, "complete:" + id + ":ok"));
  EXPECT_EQ(delegate->responseBody(task->identifier()), "hello, ferry\n");
}

TEST_F(InProcess, NotFoundIsAResponseNotAnError) {
  auto s = session();
  auto answer = s->data(url("/nothing-here")).get();
  ASSERT_TRUE(answer) << answer.error().describe();
  EXPECT_EQ(answer->status_code, 404);
  EXPECT_NE(answer->body.find("404"), std::string::npos);
}

TEST_F(InProcess, DataPastTheLimitIsTooLarge) {
  auto s = session(Configuration::defaults().maxDataTaskBytes(64 * 1024));
  auto answer = s->data(url("/big.bin")).get();
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, "too-large");
  EXPECT_NE(answer.error().message.find("maxDataTaskBytes"), std::string::npos);
  // The session goes on.
  auto small = s->data(url("/hello.txt")).get();
  ASSERT_TRUE(small);
  EXPECT_EQ(small->body, "hello, ferry\n");
}

// A data task's body is kept in memory between its engine jobs: resumed, it continues by Range.
TEST_F(InProcess, ASuspendedDataTaskContinuesByRange) {
  NginxServer slow(NginxServer::Options{dir_ / "www", "1m", ""});
  auto s = session();
  std::promise<Result<Response>> answered;
  auto task = s->dataTask(Request(slow.url("/big.bin")), [&](Result<Response> r) { answered.set_value(std::move(r)); });
  ASSERT_TRUE(task) << task.error().describe();
  ASSERT_TRUE(task->resume());
  std::uint64_t received = 0;
  for (int i = 0; i < 1000 && received == 0; ++i) {
    auto tasks = s->getAllTasks();
    ASSERT_TRUE(tasks);
    if (!tasks->empty()) received = tasks->front().bytes_written;
    if (received == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GT(received, 0u) << "no bytes came";
  auto suspended = task->suspend();
  ASSERT_TRUE(suspended) << suspended.error().describe();
  ASSERT_TRUE(task->resume());
  auto answer = answered.get_future().get();
  ASSERT_TRUE(answer) << answer.error().describe();
  EXPECT_EQ(answer->status_code, 206);
  EXPECT_TRUE(answer->body == readFile(dir_ / "www" / "big.bin")) << "the body differs from the file";
  EXPECT_NE(slow.accessLogOnceItHas("206 bytes=").find("206 bytes="), std::string::npos) << slow.accessLog();
}

TEST_F(InProcess, ASessionThatRefusesRedirectsGetsTheRedirectAsTheAnswer) {
  NginxServer redirecting(NginxServer::Options{dir_ / "www", "", "location = /moved { return 302 /hello.txt; }"});
  auto refusing = session(Configuration::defaults().downloadRedirects("refuse"));
  auto answer = refusing->data(redirecting.url("/moved")).get();
  ASSERT_TRUE(answer) << answer.error().describe();
  EXPECT_EQ(answer->status_code, 302);
  EXPECT_NE(answer->body.find("302"), std::string::npos) << answer->body;
  bool located = false;
  for (const auto& [name, value] : answer->headers)
    if (name == "Location" || name == "location") located = value.find("/hello.txt") != std::string::npos;
  EXPECT_TRUE(located) << "the answer's Location header is handed over";
  // A download task ends with http-error, the answer's body in its file.
  auto download = refusing->download(Request(redirecting.url("/moved"))).get();
  ASSERT_TRUE(download) << download.error().describe();
  EXPECT_EQ(download->status_code, 302);

  auto following = session();
  auto followed = following->data(redirecting.url("/moved")).get();
  ASSERT_TRUE(followed) << followed.error().describe();
  EXPECT_EQ(followed->status_code, 200);
  EXPECT_EQ(followed->body, "hello, ferry\n");
}

TEST_F(InProcess, RedirectPoliciesThatCannotBeAreRefusedAtCreation) {
  auto unknown = Session::create(Configuration::defaults().downloadRedirects("sometimes"), nullptr);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "invalid-argument");
  EXPECT_NE(unknown.error().message.find("\"follow\" or \"refuse\""), std::string::npos) << unknown.error().message;
  auto ask = Session::create(Configuration::defaults().downloadRedirects("ask"), nullptr);  // uploads' only
  ASSERT_FALSE(ask);
  EXPECT_EQ(ask.error().code, "invalid-argument");
  auto background = Session::create(Configuration::background("refuses").downloadRedirects("refuse")
                                        .socketPath(dir_ / "no-such.sock").startDaemon(false),
                                    std::make_shared<SessionDelegate>());
  ASSERT_FALSE(background);
  EXPECT_EQ(background.error().code, "invalid-argument");
  EXPECT_NE(background.error().message.find("always follow redirects"), std::string::npos) << background.error().message;
}

TEST_F(InProcess, DownloadHandlerOwnsTheFile) {
  auto s = session();
  auto answer = s->download(url("/big.bin")).get();
  ASSERT_TRUE(answer) << answer.error().describe();
  EXPECT_EQ(answer->status_code, 200);
  ASSERT_TRUE(std::filesystem::exists(answer->location));
  EXPECT_EQ(sha256File(answer->location), sha256File(dir_ / "www" / "big.bin"));
  s.reset();  // the session's own files go; the handler's stays
  EXPECT_TRUE(std::filesystem::exists(answer->location));
  std::filesystem::remove(answer->location);
}

TEST_F(InProcess, UploadWithACallback) {
  writeRandomFile(dir_ / "up.bin", 500000, 2);
  auto s = session();
  std::promise<Result<Response>> done;
  auto task = s->uploadTask(Request(url("/dav/up.bin")), dir_ / "up.bin",
                            [&](Result<Response> r) { done.set_value(std::move(r)); });
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  auto answer = done.get_future().get();
  ASSERT_TRUE(answer) << answer.error().describe();
  EXPECT_EQ(answer->status_code, 201);
  EXPECT_EQ(sha256File(dir_ / "www" / "dav" / "up.bin"), sha256File(dir_ / "up.bin"));
  auto future = s->upload(Request(url("/dav/up2.bin")), dir_ / "up.bin").get();
  ASSERT_TRUE(future);
  EXPECT_EQ(sha256File(dir_ / "www" / "dav" / "up2.bin"), sha256File(dir_ / "up.bin"));
}

TEST_F(InProcess, AThrowingHandlerDoesNotStopAnotherTask) {
  auto s = session();
  auto thrower = s->dataTask(url("/hello.txt"), [](Result<Response>) { throw std::runtime_error("application bug"); });
  ASSERT_TRUE(thrower);
  std::promise<std::string> other;
  auto task = s->dataTask(url("/hello.txt"), [&](Result<Response> r) { other.set_value(r ? r->body : r.error().code); });
  ASSERT_TRUE(task);
  ASSERT_TRUE(thrower->resume());
  ASSERT_TRUE(task->resume());
  EXPECT_EQ(other.get_future().get(), "hello, ferry\n");
}

TEST_F(InProcess, CallbacksRunOnTheSuppliedDelegateQueue) {
  auto queue = std::make_shared<LoopQueue>();
  auto s = session(Configuration::defaults().delegateQueue(queue));
  std::promise<std::thread::id> ran_on;
  auto task = s->dataTask(url("/hello.txt"), [&](Result<Response>) { ran_on.set_value(std::this_thread::get_id()); });
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  EXPECT_EQ(ran_on.get_future().get(), queue->id());
  EXPECT_GE(queue->ran(), 0);
}

TEST_F(InProcess, NothingIsStartedAndNoSocketIsNeeded) {
  // A socket path that cannot exist: an in-process session never looks at it.
  auto s = session(Configuration::defaults().socketPath("/nonexistent/ferryd.sock"));
  ASSERT_TRUE(s);
  auto answer = s->data(url("/hello.txt")).get();
  ASSERT_TRUE(answer) << answer.error().describe();
  EXPECT_EQ(answer->body, "hello, ferry\n");
}

TEST_F(InProcess, EphemeralSessionWorksToo) {
  auto s = session(Configuration::ephemeral());
  auto answer = s->data(url("/hello.txt")).get();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->body, "hello, ferry\n");
}

TEST_F(InProcess, BackgroundSessionRefusesConvenienceCalls) {
  Ferryd ferryd(dir_.path());
  ferryd.start();
  auto s = Session::create(ferryd.config("no-handlers"));
  ASSERT_TRUE(s);
  auto data = (*s)->data(url("/hello.txt")).get();
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error().code, "invalid-argument");
  EXPECT_NE(data.error().message.find("delegate"), std::string::npos) << data.error().message;
  auto download = (*s)->downloadTask(url("/hello.txt"), [](Result<Response>) {});
  ASSERT_FALSE(download);
  EXPECT_EQ(download.error().code, "invalid-argument");
  auto upload = (*s)->upload(Request(url("/dav/x")), dir_ / "www" / "hello.txt").get();
  ASSERT_FALSE(upload);
  EXPECT_EQ(upload.error().code, "invalid-argument");
  auto data_task = (*s)->dataTask(url("/hello.txt"));
  ASSERT_FALSE(data_task);
  EXPECT_EQ(data_task.error().code, "invalid-argument");
}

TEST_F(InProcess, MalformedUrlIsAClearError) {
  auto s = session();
  auto answer = s->data(Request("ftp://127.0.0.1/file")).get();
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, "unsupported-scheme") << answer.error().describe();
  auto bad = s->data(Request("not a url")).get();
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "bad-url") << bad.error().describe();
}

TEST_F(InProcess, FerryctlGetWritesTheBodyWithoutADaemon) {
  std::map<std::string, std::string> env{{"FERRY_SOCKET", (dir_ / "none.sock").string()}};
  auto got = runCommand({(binDir() / "ferryctl").string(), "get", url("/hello.txt")}, env);
  ASSERT_EQ(got.exit_code, 0) << got.out;
  EXPECT_EQ(got.out, "hello, ferry\n");
  auto included = runCommand({(binDir() / "ferryctl").string(), "get", "-i", url("/hello.txt")}, env);
  ASSERT_EQ(included.exit_code, 0);
  EXPECT_EQ(included.out.rfind("HTTP 200\r\n", 0), 0u) << included.out;
  auto missing = runCommand({(binDir() / "ferryctl").string(), "get", "-f", url("/absent")}, env);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.out.find("<html>"), std::string::npos) << missing.out;  // no body
  EXPECT_NE(missing.out.find("answered 404"), std::string::npos) << missing.out;
  auto bad = runCommand({(binDir() / "ferryctl").string(), "get", "gopher://127.0.0.1/"}, env);
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "none.sock"));
}

TEST_F(InProcess, FerryctlDownloadInProcessPutsTheFileInPlace) {
  std::map<std::string, std::string> env{{"FERRY_SOCKET", (dir_ / "none.sock").string()}};
  auto got = runCommand({(binDir() / "ferryctl").string(), "download", "--in-process", url("/big.bin"), "-o",
                         (dir_ / "big.bin").string()},
                        env);
  ASSERT_EQ(got.exit_code, 0) << got.out;
  EXPECT_EQ(sha256File(dir_ / "big.bin"), sha256File(dir_ / "www" / "big.bin"));
  auto detached = runCommand({(binDir() / "ferryctl").string(), "download", "--in-process", "--detach", url("/big.bin")}, env);
  EXPECT_EQ(detached.exit_code, 2);
}

namespace {
// Points $XDG_CACHE_HOME (where in-process resume data lives) into the test's directory, for this
// process and for a ferryd started after it.
class CacheHome {
 public:
  explicit CacheHome(const std::filesystem::path& dir) {
    if (const char* old = std::getenv("XDG_CACHE_HOME")) old_ = old;
    ::setenv("XDG_CACHE_HOME", dir.c_str(), 1);
  }
  ~CacheHome() {
    if (old_) ::setenv("XDG_CACHE_HOME", old_->c_str(), 1);
    else ::unsetenv("XDG_CACHE_HOME");
  }

 private:
  std::optional<std::string> old_;
};
// Cookies: a default session keeps what Set-Cookie gave it, in memory, for its later tasks
// (data tasks and downloads alike); another session does not see them; an ephemeral one keeps none.
TEST(InProcessCookies, DefaultSessionsKeepThemInMemoryEphemeralOnesNot) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  NginxServer nginx({dir / "www", "",
                     "location = /login { add_header Set-Cookie \"sid=s3cr3t; Path=/; HttpOnly\"; return 200 \"in\\n\"; }"
                     " location = /whoami { default_type text/plain; return 200 \"cookie=$http_cookie\"; }"});
  auto body = [](Session& session, const std::string& url) {
    auto answer = session.data(Request{url}).get();
    EXPECT_TRUE(answer) << answer.error().describe();
    return answer ? answer->body : std::string();
  };
  auto open = [&](Configuration c) {
    auto s = Session::create(c.resumeDirectory(dir / "resume"), nullptr);
    EXPECT_TRUE(s) << s.error().describe();
    return std::move(*s);
  };

  auto keeping = open(Configuration::defaults());
  EXPECT_EQ(body(*keeping, nginx.url("/whoami")), "cookie=");
  EXPECT_EQ(body(*keeping, nginx.url("/login")), "in\n");
  EXPECT_EQ(body(*keeping, nginx.url("/whoami")), "cookie=sid=s3cr3t");
  auto downloaded = keeping->download(Request{nginx.url("/whoami")}).get();
  ASSERT_TRUE(downloaded) << downloaded.error().describe();
  EXPECT_EQ(readFile(downloaded->location), "cookie=sid=s3cr3t");
  std::filesystem::remove(downloaded->location);

  auto another = open(Configuration::defaults());
  EXPECT_EQ(body(*another, nginx.url("/whoami")), "cookie=");

  auto ephemeral = open(Configuration::ephemeral());
  EXPECT_EQ(body(*ephemeral, nginx.url("/login")), "in\n");
  EXPECT_EQ(body(*ephemeral, nginx.url("/whoami")), "cookie=");
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path()))
    if (entry.is_regular_file()) {
      EXPECT_EQ(readFile(entry.path()).find("s3cr3t"), std::string::npos) << entry.path();
    }
}

}  // namespace

TEST_F(InProcess, ResumeDataFromADefaultSessionContinuesInABackgroundSession) {
  CacheHome cache(dir_ / "cache");
  NginxServer slow({dir_ / "www", "1m", ""});
  auto delegate = std::make_shared<RecordingDelegate>();
  auto local = Session::create(Configuration::defaults(), delegate);
  ASSERT_TRUE(local);
  auto task = (*local)->downloadTask(Request(slow.url("/big.bin")));
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate->waitFor([&] { return delegate->lastWritten() > 256 * 1024; }));
  auto blob = task->cancelByProducingResumeData();
  ASSERT_TRUE(blob) << blob.error().describe();
  EXPECT_EQ(blob->rfind("ferry-local-resume-v1.", 0), 0u);
  local->reset();

  Ferryd ferryd(dir_.path());
  ferryd.start();
  auto background_delegate = std::make_shared<RecordingDelegate>();
  auto background = Session::create(ferryd.config("takes-local"), background_delegate);
  ASSERT_TRUE(background);
  DownloadOptions options;
  options.destination = dir_ / "continued.bin";
  options.start = true;
  auto continued = (*background)->downloadTaskWithResumeData(*blob, options);
  ASSERT_TRUE(continued) << continued.error().describe();
  ASSERT_TRUE(background_delegate->waitForCompletion(continued->identifier()));
  auto c = *background_delegate->completion(continued->identifier());
  ASSERT_TRUE(c.ok()) << c.error->describe();
  EXPECT_EQ(sha256File(dir_ / "continued.bin"), sha256File(dir_ / "www" / "big.bin"));
  auto offsets = background_delegate->resumeOffsets(continued->identifier());
  ASSERT_FALSE(offsets.empty());
  EXPECT_GT(offsets.front(), 0);
  // Single use across kinds too.
  auto again = (*background)->downloadTaskWithResumeData(*blob);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "resume-data-stale");
}

TEST_F(InProcess, ResumeDataFromABackgroundSessionContinuesInADefaultSession) {
  CacheHome cache(dir_ / "cache");
  NginxServer slow({dir_ / "www", "1m", ""});
  Ferryd ferryd(dir_.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto background = Session::create(ferryd.config("gives-away"), delegate);
  ASSERT_TRUE(background);
  auto task = (*background)->downloadTask(Request(slow.url("/big.bin")));
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate->waitFor([&] { return delegate->lastWritten() > 256 * 1024; }));
  auto blob = task->cancelByProducingResumeData();
  ASSERT_TRUE(blob) << blob.error().describe();
  EXPECT_EQ(blob->rfind("ferry-resume-v1.", 0), 0u);

  auto local_delegate = std::make_shared<RecordingDelegate>();
  auto config = Configuration::defaults().socketPath(ferryd.socket()).startDaemon(false);
  auto in_process = Session::create(config, local_delegate);
  ASSERT_TRUE(in_process);
  DownloadOptions options;
  options.destination = dir_ / "continued.bin";
  options.start = true;
  auto continued = (*in_process)->downloadTaskWithResumeData(*blob, options);
  ASSERT_TRUE(continued) << continued.error().describe();
  ASSERT_TRUE(local_delegate->waitForCompletion(continued->identifier()));
  auto c = *local_delegate->completion(continued->identifier());
  ASSERT_TRUE(c.ok()) << c.error->describe();
  EXPECT_EQ(sha256File(dir_ / "continued.bin"), sha256File(dir_ / "www" / "big.bin"));
  auto offsets = local_delegate->resumeOffsets(continued->identifier());
  ASSERT_FALSE(offsets.empty());
  EXPECT_GT(offsets.front(), 0);
  // ferryd's blob is spent: it no longer continues in ferryd either.
  auto again = (*background)->downloadTaskWithResumeData(*blob);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "resume-data-stale");
}
