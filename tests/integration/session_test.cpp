// The session model: one attached client, events exactly once per acknowledgement, suspend/resume
// nesting, cancel with resume data, and resume data that is tampered, foreign or used.

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "harness.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

std::optional<TaskInfo> taskInfo(Ferryd& ferryd, std::uint64_t id) {
  auto tasks = ferryd.control()->list();
  if (!tasks) return std::nullopt;
  for (const auto& t : *tasks)
    if (t.id == id) return t;
  return std::nullopt;
}
}  // namespace

TEST(Session, SecondAttachWithTheSameIdentifierIsRefused) {
  TempDir dir;
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto first = Session::create(ferryd.config("only-one"), nullptr);
  ASSERT_TRUE(first);
  auto second = Session::create(ferryd.config("only-one"), nullptr);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, "already-attached");
  EXPECT_NE(second.error().message.find("only-one"), std::string::npos);
  auto other = Session::create(ferryd.config("another"), nullptr);
  EXPECT_TRUE(other);
  first->reset();
  // Once the first client is gone the identifier is free again.
  EXPECT_TRUE(waitUntil([&] { return Session::create(ferryd.config("only-one"), nullptr).has_value(); }));
}

TEST(Session, EventsAreDeliveredExactlyOnceAcrossDetachAndReattach) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  for (int i = 0; i < 5; ++i) writeRandomFile(dir / "www" / ("f" + std::to_string(i)), 200000 + i, i);
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  std::vector<std::uint64_t> ids;
  {
    auto session = Session::create(ferryd.config("once"), nullptr);
    ASSERT_TRUE(session);
    for (int i = 0; i < 5; ++i) {
      auto task = (*session)->downloadTask(nginx.url("/f" + std::to_string(i)));
      ASSERT_TRUE(task);
      ids.push_back(task->identifier());
    }
  }  // detached before any task runs: every event must wait in the outbox
  auto control = ferryd.control();
  for (auto id : ids) ASSERT_TRUE(control->resume(id));
  ASSERT_TRUE(waitUntil([&] {
    auto tasks = ferryd.control()->list(std::string("once"));
    return tasks && tasks->size() == 5 &&
           std::all_of(tasks->begin(), tasks->end(), [](const auto& t) { return t.state == "completed"; });
  }));
  {
    auto delegate = std::make_shared<RecordingDelegate>(dir.path());
    auto session = Session::create(ferryd.config("once"), delegate);
    ASSERT_TRUE(session);
    ASSERT_TRUE(delegate->waitFor([&] { return delegate->count("drained") == 1; }));
    EXPECT_EQ(delegate->count("finish:"), 5);
    EXPECT_EQ(delegate->count("complete:"), 5);
    auto events = delegate->events();
    for (std::size_t i = 0; i < ids.size(); ++i) {
      // Per task: finish before complete.
      auto f = std::find(events.begin(), events.end(), "finish:" + std::to_string(ids[i]));
      auto c = std::find(events.begin(), events.end(), "complete:" + std::to_string(ids[i]) + ":ok");
      ASSERT_NE(f, events.end());
      ASSERT_NE(c, events.end());
      EXPECT_LT(f, c);
      EXPECT_EQ(sha256File(*delegate->kept(ids[i])), sha256File(dir / "www" / ("f" + std::to_string(i))));
    }
  }
  // Acknowledged: a later attach gets nothing again, and the tasks are gone.
  ASSERT_TRUE(waitUntil([&] {
    auto tasks = ferryd.control()->list(std::string("once"));
    return tasks && tasks->empty();
  }));
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("once"), delegate);
  ASSERT_TRUE(session);
  ASSERT_TRUE(delegate->waitFor([&] { return delegate->count("drained") == 1; }));
  EXPECT_EQ(delegate->events(), std::vector<std::string>{"drained"});
}

TEST(Session, UnacknowledgedEventsSurviveADaemonRestart) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/f", 100000, 1);
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  std::uint64_t id = 0;
  {
    auto session = Session::create(ferryd.config("durable-events"), nullptr);
    ASSERT_TRUE(session);
    auto task = (*session)->downloadTask(nginx.url("/f"));
    ASSERT_TRUE(task);
    id = task->identifier();
  }
  // Started once the application is gone, so that no client can take the events before the crash.
  ASSERT_TRUE(ferryd.control()->resume(id));
  ASSERT_TRUE(waitUntil([&] { auto t = taskInfo(ferryd, id); return t && t->state == "completed"; }));
  ferryd.kill9();
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>(dir.path());
  auto session = Session::create(ferryd.config("durable-events"), delegate);
  ASSERT_TRUE(session);
  ASSERT_TRUE(delegate->waitFor([&] { return delegate->count("drained") == 1; }));
  EXPECT_EQ(delegate->events(), (std::vector<std::string>{"finish:" + std::to_string(id),
                                                           "complete:" + std::to_string(id) + ":ok", "drained"}));
  EXPECT_EQ(sha256File(*delegate->kept(id)), sha256File(dir / "www/f"));
}

TEST(Session, SuspendAndResumeNest) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/slow.bin", 24 * MiB, 2);
  NginxServer nginx({dir / "www", "4m", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  std::filesystem::create_directories(dir / "keep");
  auto delegate = std::make_shared<RecordingDelegate>(dir / "keep");
  auto session = Session::create(ferryd.config("nest"), delegate);
  ASSERT_TRUE(session);
  auto task = (*session)->downloadTask(nginx.url("/slow.bin"));
  ASSERT_TRUE(task);
  EXPECT_EQ(taskInfo(ferryd, task->identifier())->waiting_for, "suspended");  // created suspended
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate->waitFor([&] { return delegate->lastWritten() > 0; }));
  ASSERT_TRUE(task->suspend());
  auto twice = task->suspend();
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->suspend_count, 2);
  auto once = task->resume();
  ASSERT_TRUE(once);
  EXPECT_EQ(once->state, "suspended");
  EXPECT_EQ(once->waiting_for, "suspended");
  // The stop is asynchronous: bytes already in flight may still land just after suspend().
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto before = taskInfo(ferryd, task->identifier())->bytes_written;
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  EXPECT_EQ(taskInfo(ferryd, task->identifier())->bytes_written, before);  // really not moving
  auto again = task->resume();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->state, "running");
  ASSERT_TRUE(delegate->waitForCompletion(task->identifier()));
  ASSERT_TRUE(delegate->completion(task->identifier())->ok());
  EXPECT_EQ(sha256File(*delegate->kept(task->identifier())), sha256File(dir / "www/slow.bin"));
  EXPECT_NE(nginx.accessLogOnceItHas("206 bytes=").find("206 bytes="), std::string::npos);  // continued, not restarted
}

// DownloadOptions/UploadOptions::start: created running in the create round trip, no resume().
TEST(Session, TasksCreatedWithStartRunWithoutResume) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/a.bin", 3 * MiB, 5);
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  std::filesystem::create_directories(dir / "keep");
  auto delegate = std::make_shared<RecordingDelegate>(dir / "keep");
  auto session = Session::create(ferryd.config("started"), delegate);
  ASSERT_TRUE(session);
  DownloadOptions download;
  download.start = true;
  auto task = (*session)->downloadTask(nginx.url("/a.bin"), download);
  ASSERT_TRUE(task);
  ASSERT_TRUE(delegate->waitForCompletion(task->identifier()));
  ASSERT_TRUE(delegate->completion(task->identifier())->ok());
  EXPECT_EQ(sha256File(*delegate->kept(task->identifier())), sha256File(dir / "www/a.bin"));
  // The same options without start: suspended until resume(), as before.
  auto held = (*session)->downloadTask(nginx.url("/a.bin"));
  ASSERT_TRUE(held);
  EXPECT_EQ(taskInfo(ferryd, held->identifier())->waiting_for, "suspended");
}

TEST(Session, CancelWithResumeDataThenResumeFromIt) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/r.bin", 16 * MiB, 3);
  NginxServer nginx({dir / "www", "4m", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  std::filesystem::create_directories(dir / "keep");
  auto delegate = std::make_shared<RecordingDelegate>(dir / "keep");
  auto session = Session::create(ferryd.config("rd"), delegate);
  ASSERT_TRUE(session);
  auto task = (*session)->downloadTask(nginx.url("/r.bin"));
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate->waitFor([&] { return delegate->lastWritten() > static_cast<std::int64_t>(MiB); }));
  auto blob = task->cancelByProducingResumeData();
  ASSERT_TRUE(blob) << blob.error().describe();
  EXPECT_EQ(blob->rfind("ferry-resume-v1.", 0), 0u);
  ASSERT_TRUE(delegate->waitForCompletion(task->identifier()));
  auto cancelled = *delegate->completion(task->identifier());
  ASSERT_TRUE(cancelled.error);
  EXPECT_EQ(cancelled.error->code, "cancelled");
  EXPECT_EQ(cancelled.resume_data, *blob);

  auto resumed = (*session)->downloadTaskWithResumeData(*blob);
  ASSERT_TRUE(resumed) << resumed.error().describe();
  ASSERT_TRUE(resumed->resume());
  ASSERT_TRUE(delegate->waitForCompletion(resumed->identifier()));
  ASSERT_TRUE(delegate->completion(resumed->identifier())->ok());
  auto offsets = delegate->resumeOffsets(resumed->identifier());
  ASSERT_EQ(offsets.size(), 1u);
  EXPECT_GT(offsets[0], static_cast<std::int64_t>(MiB));
  EXPECT_EQ(sha256File(*delegate->kept(resumed->identifier())), sha256File(dir / "www/r.bin"));

  // Single use: the same blob again is stale.
  auto reused = (*session)->downloadTaskWithResumeData(*blob);
  ASSERT_FALSE(reused);
  EXPECT_EQ(reused.error().code, "resume-data-stale");
}

TEST(Session, TamperedForeignAndGarbageResumeDataAreRefusedClearly) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/t.bin", 8 * MiB, 4);
  NginxServer nginx({dir / "www", "2m", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("tamper"), delegate);
  ASSERT_TRUE(session);
  auto task = (*session)->downloadTask(nginx.url("/t.bin"));
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate->waitFor([&] { return delegate->lastWritten() > 0; }));
  auto blob = task->cancelByProducingResumeData();
  ASSERT_TRUE(blob);

  std::string tampered = *blob;
  auto dot = tampered.find('.', 17);
  tampered[20] = tampered[20] == 'A' ? 'B' : 'A';
  (void)dot;
  auto r1 = (*session)->downloadTaskWithResumeData(tampered);
  ASSERT_FALSE(r1);
  EXPECT_EQ(r1.error().code, "resume-data-invalid");

  for (std::string garbage : {std::string("hello"), std::string("ferry-resume-v1.!!!.???"), std::string(100000, 'x'),
                              std::string("ferry-resume-v9.abc.def")}) {
    auto r = (*session)->downloadTaskWithResumeData(garbage);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "resume-data-invalid") << garbage.substr(0, 40);
  }

  // Another daemon (its own state directory and key) calls it foreign.
  TempDir other_dir;
  Ferryd other(other_dir.path());
  other.start();
  auto other_session = Session::create(other.config("tamper"), nullptr);
  ASSERT_TRUE(other_session);
  auto foreign = (*other_session)->downloadTaskWithResumeData(*blob);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, "resume-data-foreign");

  // Another session of the same daemon may not take it either.
  auto thief = Session::create(ferryd.config("thief"), nullptr);
  ASSERT_TRUE(thief);
  auto stolen = (*thief)->downloadTaskWithResumeData(*blob);
  ASSERT_FALSE(stolen);
  EXPECT_EQ(stolen.error().code, "resume-data-foreign");

  // After all that, the real blob still works.
  auto good = (*session)->downloadTaskWithResumeData(*blob);
  ASSERT_TRUE(good) << good.error().describe();
}

TEST(Session, ClientStartsFerrydWhenNoneAnswers) {
  TempDir dir;
  auto socket = dir / "run" / "ferryd.sock";
  setenv("FERRY_STATE_DIR", (dir / "state").c_str(), 1);
  setenv("FERRYD", (binDir() / "ferryd").c_str(), 1);
  auto session = Session::create(Configuration::background("autostart").socketPath(socket), nullptr);
  unsetenv("FERRY_STATE_DIR");
  unsetenv("FERRYD");
  ASSERT_TRUE(session) << session.error().describe();
  auto control = Control::connect(socket, false);
  ASSERT_TRUE(control);
  auto status = (*control)->status();
  ASSERT_TRUE(status);
  pid_t pid = static_cast<pid_t>(status->pid);
  EXPECT_GT(pid, 0);
  EXPECT_EQ(status->state_dir, (dir / "state").string());
  session->reset();
  control->reset();
  ::kill(pid, SIGKILL);
}

// ferryd started by libferry runs in "/": a relative socket path or $FERRY_STATE_DIR still means
// what it meant to the application, in the application's directory.
TEST(Session, AutostartedFerrydGetsRelativePathsResolved) {
  TempDir dir;
  const auto before = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  setenv("FERRY_STATE_DIR", "relative-state", 1);
  setenv("FERRYD", (binDir() / "ferryd").c_str(), 1);
  std::filesystem::create_directories("run");
  auto session = Session::create(Configuration::background("autostart").socketPath("run/ferryd.sock"), nullptr);
  unsetenv("FERRY_STATE_DIR");
  unsetenv("FERRYD");
  std::filesystem::current_path(before);
  ASSERT_TRUE(session) << session.error().describe();
  auto control = Control::connect(dir / "run/ferryd.sock", false);
  ASSERT_TRUE(control) << control.error().describe();
  auto status = (*control)->status();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->state_dir, (dir / "relative-state").string());
  EXPECT_EQ(status->socket, (dir / "run/ferryd.sock").string());
  EXPECT_TRUE(std::filesystem::exists(dir / "relative-state/ferry.db"));
  session->reset();
  control->reset();
  ::kill(static_cast<pid_t>(status->pid), SIGKILL);
}

TEST(Session, ResumeDataStillWorksAfterTheStateDirectoryMoved) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/m.bin", 12 * MiB, 5);
  NginxServer nginx({dir / "www", "4m", ""});
  std::filesystem::create_directories(dir / "before");
  std::filesystem::create_directories(dir / "after");
  std::string blob;
  {
    Ferryd ferryd(dir / "before");
    ferryd.start();
    auto delegate = std::make_shared<RecordingDelegate>();
    auto session = Session::create(ferryd.config("moved"), delegate);
    ASSERT_TRUE(session);
    auto task = (*session)->downloadTask(nginx.url("/m.bin"));
    ASSERT_TRUE(task);
    ASSERT_TRUE(task->resume());
    ASSERT_TRUE(delegate->waitFor([&] { return delegate->lastWritten() > static_cast<std::int64_t>(MiB); }));
    auto made = task->cancelByProducingResumeData();
    ASSERT_TRUE(made);
    blob = *made;
    session->reset();
    ferryd.terminate();
  }
  std::filesystem::rename(dir / "before" / "state", dir / "after" / "state");
  Ferryd ferryd(dir / "after");
  ferryd.start();
  std::filesystem::create_directories(dir / "keep");
  auto delegate = std::make_shared<RecordingDelegate>(dir / "keep");
  auto session = Session::create(ferryd.config("moved"), delegate);
  ASSERT_TRUE(session);
  auto resumed = (*session)->downloadTaskWithResumeData(blob);
  ASSERT_TRUE(resumed) << resumed.error().describe();
  ASSERT_TRUE(resumed->resume());
  ASSERT_TRUE(delegate->waitForCompletion(resumed->identifier()));
  ASSERT_TRUE(delegate->completion(resumed->identifier())->ok());
  ASSERT_EQ(delegate->resumeOffsets(resumed->identifier()).size(), 1u);
  EXPECT_GT(delegate->resumeOffsets(resumed->identifier())[0], static_cast<std::int64_t>(MiB));
  EXPECT_EQ(sha256File(*delegate->kept(resumed->identifier())), sha256File(dir / "www/m.bin"));
}

TEST(Session, ResumeDataWhosePartialFileIsGoneIsStale) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/g.bin", 8 * MiB, 6);
  NginxServer nginx({dir / "www", "2m", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("gone"), delegate);
  ASSERT_TRUE(session);
  auto task = (*session)->downloadTask(nginx.url("/g.bin"));
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate->waitFor([&] { return delegate->lastWritten() > 0; }));
  auto blob = task->cancelByProducingResumeData();
  ASSERT_TRUE(blob);
  for (const auto& entry : std::filesystem::directory_iterator(ferryd.stateDir() / "resume"))
    std::filesystem::remove(entry.path());
  auto r = (*session)->downloadTaskWithResumeData(*blob);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "resume-data-stale");
  EXPECT_NE(r.error().message.find("start the download again"), std::string::npos);
}

TEST(Session, FinishTasksAndInvalidateLetsTasksFinishThenInvalidates) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/slow.bin", 8 * MiB, 7);
  NginxServer nginx({dir / "www", "4m", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  std::filesystem::create_directories(dir / "keep");
  auto delegate = std::make_shared<RecordingDelegate>(dir / "keep");
  auto session = Session::create(ferryd.config("finishing"), delegate);
  ASSERT_TRUE(session);
  auto task = (*session)->downloadTask(nginx.url("/slow.bin"));
  ASSERT_TRUE(task);
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(delegate->waitFor([&] { return delegate->lastWritten() > 0; }));
  ASSERT_TRUE((*session)->finishTasksAndInvalidate());
  auto refused = (*session)->downloadTask(nginx.url("/slow.bin"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "session-invalidated");

  ASSERT_TRUE(delegate->waitFor([&] { return delegate->count("invalid") == 1; }));
  auto events = delegate->events();
  const std::string done = "complete:" + std::to_string(task->identifier()) + ":ok";
  ASSERT_NE(indexOf(events, done), -1) << "the running task was let finish";
  EXPECT_LT(indexOf(events, done), indexOf(events, "invalid"));  // after the last task's events
  EXPECT_EQ(sha256File(*delegate->kept(task->identifier())), sha256File(dir / "www/slow.bin"));

  // The identifier is free again: a new Session with it takes tasks.
  session->reset();
  auto fresh_delegate = std::make_shared<RecordingDelegate>(dir / "keep");
  auto fresh = Session::create(ferryd.config("finishing"), fresh_delegate);
  ASSERT_TRUE(fresh);
  auto again = (*fresh)->downloadTask(nginx.url("/slow.bin"));
  ASSERT_TRUE(again) << again.error().describe();
  ASSERT_TRUE(again->resume());
  ASSERT_TRUE(fresh_delegate->waitForCompletion(again->identifier()));
  EXPECT_TRUE(fresh_delegate->completion(again->identifier())->ok());
  EXPECT_EQ(fresh_delegate->count("invalid"), 0);
}

TEST(Session, InvalidateAndCancelCancelsEveryTaskThenInvalidates) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/slow.bin", 16 * MiB, 8);
  NginxServer nginx({dir / "www", "1m", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("cancelling"), delegate);
  ASSERT_TRUE(session);
  auto running = (*session)->downloadTask(nginx.url("/slow.bin"));
  auto suspended = (*session)->downloadTask(nginx.url("/slow.bin"));
  ASSERT_TRUE(running && suspended);
  ASSERT_TRUE(running->resume());
  ASSERT_TRUE((*session)->invalidateAndCancel());
  ASSERT_TRUE(delegate->waitFor([&] { return delegate->count("invalid") == 1; }));
  auto events = delegate->events();
  for (auto id : {running->identifier(), suspended->identifier()}) {
    auto at = indexOf(events, "complete:" + std::to_string(id) + ":cancelled");
    ASSERT_NE(at, -1) << "task " << id;
    EXPECT_LT(at, indexOf(events, "invalid"));
  }
  // The acknowledgements travel on the session's connection: poll until ferryd has read them.
  auto control = ferryd.control();
  bool empty = false;
  for (int i = 0; i < 100 && !empty; ++i) {
    auto tasks = control->list("cancelling");
    ASSERT_TRUE(tasks);
    empty = tasks->empty();
    if (!empty) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(empty) << "an invalidated session leaves nothing behind in ferryd";
}

TEST(Session, InvalidationSurvivesDetachAndRestartAndIsDeliveredOnTheNextAttach) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/slow.bin", 8 * MiB, 9);
  NginxServer nginx({dir / "www", "4m", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  std::uint64_t id = 0;
  {
    auto delegate = std::make_shared<RecordingDelegate>();
    auto session = Session::create(ferryd.config("leaving"), delegate);
    ASSERT_TRUE(session);
    auto task = (*session)->downloadTask(nginx.url("/slow.bin"));
    ASSERT_TRUE(task);
    id = task->identifier();
    ASSERT_TRUE(task->resume());
    ASSERT_TRUE((*session)->finishTasksAndInvalidate());
  }  // the application exits
  ferryd.kill9();
  ferryd.start();
  std::filesystem::create_directories(dir / "keep");
  auto delegate = std::make_shared<RecordingDelegate>(dir / "keep");
  auto session = Session::create(ferryd.config("leaving"), delegate);
  ASSERT_TRUE(session);
  // Still invalidating: refused by ferryd (or locally, once didBecomeInvalid has arrived).
  auto refused = (*session)->downloadTask(nginx.url("/slow.bin"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "session-invalidated");
  ASSERT_TRUE(delegate->waitFor([&] { return delegate->count("invalid") == 1; }));
  auto events = delegate->events();
  const std::string done = "complete:" + std::to_string(id) + ":ok";
  ASSERT_NE(indexOf(events, done), -1);
  EXPECT_LT(indexOf(events, done), indexOf(events, "invalid"));
  EXPECT_EQ(sha256File(*delegate->kept(id)), sha256File(dir / "www/slow.bin"));
  EXPECT_EQ(delegate->count("invalid"), 1);
}

TEST(Session, FerryctlEventsShowsTheQueuedEventsThenLiveOnes) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  writeRandomFile(dir / "www/f.bin", 2 * MiB, 31);
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  std::uint64_t first = 0;
  {
    auto delegate = std::make_shared<RecordingDelegate>();
    auto session = Session::create(ferryd.config("observed"), delegate);
    ASSERT_TRUE(session);
    auto task = (*session)->downloadTask(nginx.url("/f.bin"));
    ASSERT_TRUE(task);
    first = task->identifier();
  }  // detached; started now, so that its events wait in the outbox
  ASSERT_TRUE(ferryd.control()->resume(first));
  ASSERT_TRUE(waitUntil([&] { return taskInfo(ferryd, first) && taskInfo(ferryd, first)->state == "completed"; },
                        std::chrono::seconds(60)));

  auto env = ferryd.env();
  Process tail({{(binDir() / "ferryctl").string(), "events", "observed", "--json"}, env, dir / "events.log", {}, std::nullopt});
  const std::string queued_complete = "\"event\":\"didComplete\"";
  ASSERT_TRUE(waitUntil([&] { return readFile(dir / "events.log").find(queued_complete) != std::string::npos; },
                        std::chrono::seconds(20)))
      << readFile(dir / "events.log");
  EXPECT_NE(readFile(dir / "events.log").find("\"queued\":true"), std::string::npos);

  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("observed"), delegate);
  ASSERT_TRUE(session);
  ASSERT_TRUE(delegate->waitForCompletion(first));  // the application still gets them: watching takes nothing
  auto second = (*session)->downloadTask(nginx.url("/f.bin"));
  ASSERT_TRUE(second);
  ASSERT_TRUE(second->resume());
  ASSERT_TRUE(delegate->waitForCompletion(second->identifier()));
  const std::string live = "\"task\":" + std::to_string(second->identifier());
  ASSERT_TRUE(waitUntil([&] { return readFile(dir / "events.log").find(live) != std::string::npos; }, std::chrono::seconds(20)))
      << readFile(dir / "events.log");
  // Only this session: another session's events do not show up.
  auto other_delegate = std::make_shared<RecordingDelegate>();
  auto other = Session::create(ferryd.config("elsewhere"), other_delegate);
  ASSERT_TRUE(other);
  auto foreign = (*other)->downloadTask(nginx.url("/f.bin"));
  ASSERT_TRUE(foreign && foreign->resume());
  ASSERT_TRUE(other_delegate->waitForCompletion(foreign->identifier()));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(readFile(dir / "events.log").find("\"session\":\"elsewhere\""), std::string::npos);
  tail.signal(SIGTERM);
  EXPECT_EQ(tail.wait(std::chrono::seconds(10)), 0);
}
