// The task lifecycle through TaskManager's two interfaces, with fakes: the engine records the
// commands it is given (its events are made up by the test), and the durable writes run at once
// on a real store in a temporary directory (or fail when a test says so).

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <fstream>

#include "daemon/task_manager.hpp"
#include "support/fixtures.hpp"

using namespace ferry;
using namespace ferry::daemon;
using namespace std::chrono_literals;

namespace {

class FakeEngine final : public TransferEngine {
 public:
  void start(engine::DownloadJob job) override {
    log.push_back("start " + std::to_string(job.id));
    downloads.push_back(std::move(job));
  }
  void start(engine::UploadJob job) override { log.push_back("start-upload " + std::to_string(job.id)); }
  void stop(std::uint64_t id) override { log.push_back("stop " + std::to_string(id)); }
  void restartFrom(std::uint64_t id, std::uint64_t offset) override {
    log.push_back("restart " + std::to_string(id) + " at " + std::to_string(offset));
  }
  void decideRedirect(std::uint64_t id, bool follow) override {
    log.push_back("redirect " + std::to_string(id) + (follow ? " follow" : " refuse"));
  }
  void setGroupLimits(const std::string&, engine::GroupLimits) override {}

  int count(const std::string& entry) const { return static_cast<int>(std::count(log.begin(), log.end(), entry)); }

  std::vector<std::string> log;
  std::vector<engine::DownloadJob> downloads;
};

class FakeWrites final : public DurableWrites {
 public:
  explicit FakeWrites(store::Store& store) : store_(store) {}
  void submit(store::Durability, store::Writer::Work work, store::Writer::Done done, store::Commit) override {
    Result<void> r;
    if (!failures.empty()) {
      r = tl::unexpected(failures.front());
      failures.erase(failures.begin());
    } else {
      r = work(store_);
    }
    if (done) done(r);
  }
  std::vector<Error> failures;  // the next submissions fail with these, in order, without running

 private:
  store::Store& store_;
};

class TaskLifecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* sub : {"partial", "delivered", "resume", "spool", "responses", "streams"})
      std::filesystem::create_directories(dir / sub);
    auto opened = store::Store::open(dir / "ferry.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    store = std::move(*opened);
    writes = std::make_unique<FakeWrites>(*store);
    sessions = std::make_unique<SessionBook>(*writes);
    auto made = ResumeDataCodec::open(dir / "resume.key");
    ASSERT_TRUE(made);
    codec.emplace(std::move(*made));
    manager = makeManager(engine);
  }

  std::unique_ptr<TaskManager> makeManager(FakeEngine& with) {
    return std::make_unique<TaskManager>(io, *writes, with, *sessions, outbox, *codec, dir.path(), 1000ms);
  }

  std::uint64_t create(bool start, const std::string& session = "s", const std::string& description = "") {
    NewDownload spec;
    spec.session = session;
    spec.description = description;
    spec.request.url = "http://127.0.0.1:9/file.bin";
    spec.start = start;
    std::optional<Result<protocol::TaskInfo>> reply;
    manager->createDownload(std::move(spec), [&](Result<protocol::TaskInfo> r) { reply = std::move(r); });
    io.poll();
    io.restart();
    EXPECT_TRUE(reply && *reply) << (reply && !*reply ? reply->error().describe() : "no reply");
    return reply && *reply ? (*reply)->id : 0;
  }

  // The engine's Finished for a job: its bytes are in the partial file.
  void finish(std::uint64_t id, std::optional<Error> error = std::nullopt, std::uint64_t bytes = 5) {
    std::ofstream(dir / ("partial/" + std::to_string(id) + ".part")) << std::string(bytes, 'x');
    engine::Finished f;
    f.id = id;
    f.error = std::move(error);
    f.http_status = 200;
    f.total_written = bytes;
    f.validators = {"\"etag\"", ""};
    manager->onEngineEvent(f);
    io.poll();
    io.restart();
  }

  void cancelledByEngine(std::uint64_t id) { finish(id, Error(errc::cancelled, "stopped")); }

  // A started group of `files` downloads to dir/out/f0, f1, ...
  protocol::GroupInfo createGroupOf(int files) {
    std::filesystem::create_directories(dir / "out");
    NewGroup spec{"s", "g", "", true, {}, {}};
    for (int i = 0; i < files; ++i) {
      NewDownload file;
      file.request.url = "http://127.0.0.1:9/f" + std::to_string(i);
      file.destination = (dir / "out" / ("f" + std::to_string(i))).string();
      spec.files.push_back(std::move(file));
    }
    std::optional<Result<protocol::GroupInfo>> reply;
    manager->createGroup(std::move(spec), [&](Result<protocol::GroupInfo> r) { reply = std::move(r); });
    io.poll();
    io.restart();
    EXPECT_TRUE(reply && *reply) << (reply && !*reply ? reply->error().describe() : "no reply");
    return reply && *reply ? **reply : protocol::GroupInfo{};
  }
  std::optional<protocol::GroupInfo> group(std::uint64_t id) {
    for (auto& g : manager->listGroups(std::nullopt))
      if (g.id == id) return g;
    return std::nullopt;
  }

  Phase phase(std::uint64_t id) { return manager->phaseOf(id).value_or(Phase::created); }
  std::string state(std::uint64_t id) {
    for (const auto& info : manager->list(std::nullopt))
      if (info.id == id) return info.state;
    return "gone";
  }
  std::vector<std::string> storedEventTypes() {
    auto snapshot = store->load();
    std::vector<std::string> types;
    for (const auto& e : snapshot->events) types.push_back(e.type);
    return types;
  }

  test::TempDir dir;
  boost::asio::io_context io;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<FakeWrites> writes;
  std::unique_ptr<SessionBook> sessions;
  FakeEngine engine;
  EventOutbox outbox{0};
  std::optional<ResumeDataCodec> codec;
  std::unique_ptr<TaskManager> manager;
};

// ---------------------------------------------------------------- the table

TEST(TaskPhases, EveryMoveIsLegalOrRefusedAsTheDiagramSays) {
  const std::vector<Phase> all{Phase::created,  Phase::suspended,  Phase::queued, Phase::held,
                               Phase::awaiting_body, Phase::in_engine, Phase::stopping, Phase::restarting,
                               Phase::ending,   Phase::awaiting_group, Phase::completed, Phase::failed, Phase::cancelled};
  using P = Phase;
  const std::map<Phase, std::set<Phase>> legal{
      {P::created,
       {P::suspended, P::queued, P::held, P::in_engine, P::awaiting_body, P::ending, P::awaiting_group, P::completed, P::failed,
        P::cancelled}},
      {P::suspended, {P::queued, P::held, P::in_engine, P::awaiting_body, P::restarting, P::ending}},
      {P::queued, {P::in_engine, P::held, P::suspended, P::ending}},
      {P::held, {P::queued, P::in_engine, P::awaiting_body, P::restarting, P::suspended, P::ending}},
      {P::awaiting_body, {P::in_engine, P::held, P::suspended, P::ending}},
      {P::in_engine, {P::stopping, P::ending, P::awaiting_body}},
      {P::stopping, {P::stopping, P::suspended, P::restarting, P::held, P::ending}},
      {P::restarting, {P::queued, P::held, P::in_engine, P::awaiting_body, P::suspended, P::ending}},
      {P::ending,
       {P::ending, P::awaiting_group, P::completed, P::failed, P::cancelled, P::queued, P::held, P::in_engine, P::awaiting_body}},
      {P::awaiting_group, {P::completed, P::ending}},
  };
  for (auto from : all)
    for (auto to : all) {
      const bool expected = legal.count(from) != 0 && legal.at(from).count(to) != 0;
      EXPECT_EQ(isLegalTransition(from, to), expected) << phaseName(from) << " -> " << phaseName(to);
    }
}

TEST(TaskPhases, WhatTheApplicationIsToldOfEachPhase) {
  EXPECT_EQ(wireState(Phase::created, StopIntent::none, 1), TaskState::suspended);
  EXPECT_EQ(wireState(Phase::created, StopIntent::none, 0), TaskState::running);
  EXPECT_EQ(wireState(Phase::queued, StopIntent::none, 0), TaskState::running);
  EXPECT_EQ(wireState(Phase::held, StopIntent::none, 0), TaskState::running);
  EXPECT_EQ(wireState(Phase::stopping, StopIntent::hold, 0), TaskState::running);
  EXPECT_EQ(wireState(Phase::awaiting_body, StopIntent::none, 0), TaskState::running);
  EXPECT_EQ(wireState(Phase::stopping, StopIntent::suspend, 1), TaskState::suspended);
  EXPECT_EQ(wireState(Phase::stopping, StopIntent::resume, 0), TaskState::running);
  EXPECT_EQ(wireState(Phase::stopping, StopIntent::cancel, 0), TaskState::running);
  EXPECT_EQ(wireState(Phase::restarting, StopIntent::none, 0), TaskState::running);
  EXPECT_EQ(wireState(Phase::ending, StopIntent::none, 0), TaskState::finalizing);
  EXPECT_EQ(wireState(Phase::awaiting_group, StopIntent::none, 0), TaskState::finalizing);
  EXPECT_EQ(wireState(Phase::cancelled, StopIntent::none, 0), TaskState::cancelled);
}

// ---------------------------------------------------------------- legal paths

TEST_F(TaskLifecycle, CreatedSuspendedThenResumedGoesToTheEngine) {
  const auto id = create(false);
  EXPECT_EQ(phase(id), Phase::suspended);
  EXPECT_EQ(state(id), "suspended");
  EXPECT_TRUE(engine.log.empty());
  ASSERT_TRUE(manager->resume(id, std::nullopt));
  EXPECT_EQ(phase(id), Phase::in_engine);
  EXPECT_EQ(engine.log, std::vector<std::string>{"start " + std::to_string(id)});
}

TEST_F(TaskLifecycle, AFullWindowQueuesAndAFinishedTaskLetsTheNextIn) {
  // One host: its window fills before the session's does.
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < EngineAdmission::kMinSessionWindow + 1; ++i) ids.push_back(create(true));
  auto first_queued = std::find_if(ids.begin(), ids.end(), [&](auto id) { return phase(id) == Phase::queued; });
  ASSERT_NE(first_queued, ids.end());
  const auto next = *first_queued;
  EXPECT_EQ(state(next), "running");
  EXPECT_EQ(engine.count("start " + std::to_string(next)), 0);
  finish(ids.front());
  EXPECT_EQ(phase(ids.front()), Phase::completed);
  EXPECT_EQ(phase(next), Phase::in_engine);
  EXPECT_EQ(engine.count("start " + std::to_string(next)), 1);
  if (next != ids.back()) {
    EXPECT_EQ(phase(ids.back()), Phase::queued);
  }
}

// ---------------------------------------------------------------- the machine's state

TEST_F(TaskLifecycle, TheMachineHoldsATaskOutOfTheEngineAndLetsItGo) {
  device::DeviceView machine;
  machine.sleeping = true;
  manager->setDeviceView([&] { return machine; });
  const auto id = create(true);
  EXPECT_EQ(phase(id), Phase::held);
  EXPECT_EQ(state(id), "running");
  EXPECT_EQ(manager->list(std::nullopt).front().waiting_for, "sleep");
  EXPECT_TRUE(engine.log.empty());  // no job: no retry, no back-off
  ASSERT_TRUE(manager->suspend(id, std::nullopt));
  EXPECT_EQ(phase(id), Phase::suspended);
  ASSERT_TRUE(manager->resume(id, std::nullopt));
  EXPECT_EQ(phase(id), Phase::held);  // resumed, but still not allowed

  machine.sleeping = false;
  manager->applyDeviceState({.conditions = true, .network_moved = false, .sleeping = false});
  EXPECT_EQ(phase(id), Phase::in_engine);
  EXPECT_EQ(engine.log, std::vector<std::string>{"start " + std::to_string(id)});
}

TEST_F(TaskLifecycle, ARunningTaskTheMachineNoLongerAllowsStopsAtACheckpointAndContinuesFromIt) {
  device::DeviceView machine;
  manager->setDeviceView([&] { return machine; });
  std::vector<bool> busy;
  manager->onEngineBusy([&](bool b) { busy.push_back(b); });
  const auto id = create(true);
  EXPECT_EQ(phase(id), Phase::in_engine);

  machine.sleeping = true;
  manager->applyDeviceState({.conditions = true, .network_moved = false, .sleeping = true});
  bool idle = false;
  manager->whenEngineIdle([&] { idle = true; });
  EXPECT_EQ(phase(id), Phase::stopping);
  EXPECT_EQ(engine.count("stop " + std::to_string(id)), 1);
  EXPECT_FALSE(idle);
  cancelledByEngine(id);  // its 5 bytes are in the partial file
  EXPECT_EQ(phase(id), Phase::held);
  EXPECT_TRUE(idle);  // the stop landed and its checkpoint is committed
  EXPECT_EQ(store->load()->tasks.front().durable_offset, 5u);
  EXPECT_EQ(storedEventTypes().size(), 0u);
  EXPECT_EQ(busy, (std::vector<bool>{true, false}));

  machine.sleeping = false;
  manager->applyDeviceState({.conditions = true, .network_moved = false, .sleeping = false});
  EXPECT_EQ(phase(id), Phase::in_engine);
  EXPECT_EQ(engine.downloads.back().resume_offset, 5u);  // by Range from the checkpoint
  EXPECT_EQ(busy, (std::vector<bool>{true, false, true}));
}

TEST_F(TaskLifecycle, SuspendStopsTheJobAndItsFinishedLandsSuspended) {
  const auto id = create(true);
  ASSERT_TRUE(manager->suspend(id, std::nullopt));
  EXPECT_EQ(phase(id), Phase::stopping);
  EXPECT_EQ(state(id), "suspended");
  EXPECT_EQ(engine.count("stop " + std::to_string(id)), 1);
  cancelledByEngine(id);
  EXPECT_EQ(phase(id), Phase::suspended);
  EXPECT_EQ(storedEventTypes().size(), 0u);  // no didComplete: the task goes on later
}

TEST_F(TaskLifecycle, ResumedWhileItsStopIsInFlightItRunsAgainOnceDurable) {
  const auto id = create(true);
  ASSERT_TRUE(manager->suspend(id, std::nullopt));
  auto resumed = manager->resume(id, std::nullopt);
  ASSERT_TRUE(resumed);
  EXPECT_EQ(resumed->state, "running");
  EXPECT_EQ(phase(id), Phase::stopping);
  cancelledByEngine(id);
  EXPECT_EQ(phase(id), Phase::in_engine);  // restarting, then back in once the checkpoint was committed
  EXPECT_EQ(engine.count("start " + std::to_string(id)), 2);
  EXPECT_EQ(engine.downloads.back().resume_offset, 5u);
}

TEST_F(TaskLifecycle, CancelInTheEngineEndsCancelledWithOneDidComplete) {
  const auto id = create(true);
  ASSERT_TRUE(manager->cancel(id, std::nullopt));
  ASSERT_TRUE(manager->cancel(id, std::nullopt));  // again: already being cancelled, no second stop
  EXPECT_EQ(engine.count("stop " + std::to_string(id)), 1);
  cancelledByEngine(id);
  EXPECT_EQ(phase(id), Phase::cancelled);
  EXPECT_EQ(storedEventTypes(), std::vector<std::string>{"didComplete"});
  EXPECT_FALSE(std::filesystem::exists(dir / ("partial/" + std::to_string(id) + ".part")));
}

TEST_F(TaskLifecycle, CancelWithResumeDataKeepsTheBytesBehindATokenAndAnswersWithTheBlob) {
  const auto id = create(true);
  std::optional<Result<std::string>> blob;
  manager->cancelWithResumeData(id, std::nullopt, [&](Result<std::string> r) { blob = std::move(r); });
  cancelledByEngine(id);
  ASSERT_TRUE(blob && *blob) << (blob && !*blob ? blob->error().describe() : "no answer");
  EXPECT_EQ(phase(id), Phase::cancelled);
  auto snapshot = store->load();
  ASSERT_EQ(snapshot->resume_tokens.size(), 1u);
  EXPECT_EQ(snapshot->resume_tokens[0].offset, 5u);
  EXPECT_TRUE(std::filesystem::exists(dir / snapshot->resume_tokens[0].partial));
}

TEST_F(TaskLifecycle, CancelWhileSuspendedOrQueuedEndsWithoutTheEngine) {
  const auto id = create(false);
  ASSERT_TRUE(manager->cancel(id, std::nullopt));
  EXPECT_EQ(phase(id), Phase::ending);
  io.poll();
  EXPECT_EQ(phase(id), Phase::cancelled);
  EXPECT_EQ(engine.count("stop " + std::to_string(id)), 0);
  EXPECT_EQ(storedEventTypes(), std::vector<std::string>{"didComplete"});
}

TEST_F(TaskLifecycle, AFinishedDownloadIsDeliveredWithItsTwoEvents) {
  const auto id = create(true);
  finish(id);
  EXPECT_EQ(phase(id), Phase::completed);
  EXPECT_EQ(storedEventTypes(), (std::vector<std::string>{"didFinishDownloadingTo", "didComplete"}));
  auto info = manager->list(std::nullopt).front();
  EXPECT_TRUE(std::filesystem::exists(info.destination)) << info.destination;
}

// ---------------------------------------------------------------- refused

TEST_F(TaskLifecycle, CommandsOnEndedTasksAreRefusedWithTheState) {
  const auto id = create(true);
  finish(id);
  auto resumed = manager->resume(id, std::nullopt);
  ASSERT_FALSE(resumed);
  EXPECT_EQ(resumed.error().code, errc::invalid_state);
  EXPECT_NE(resumed.error().message.find("completed"), std::string::npos) << resumed.error().message;
  EXPECT_FALSE(manager->suspend(id, std::nullopt));
  EXPECT_FALSE(manager->cancel(id, std::nullopt));
  EXPECT_EQ(phase(id), Phase::completed);
}

TEST_F(TaskLifecycle, ATaskThatIsEndingCannotBeResumedIntoARowThatUndoesItsEnd) {
  const auto id = create(false);
  writes->failures = {Error(errc::no_space, "disk full")};  // its end waits for room
  ASSERT_TRUE(manager->cancel(id, std::nullopt));
  io.poll();
  EXPECT_EQ(phase(id), Phase::ending);
  auto resumed = manager->resume(id, std::nullopt);
  ASSERT_FALSE(resumed);
  EXPECT_EQ(resumed.error().code, errc::invalid_state);
  io.run_for(1500ms);
  EXPECT_EQ(phase(id), Phase::cancelled);
  auto snapshot = store->load();
  ASSERT_EQ(snapshot->tasks.size(), 1u);
  EXPECT_EQ(snapshot->tasks[0].state, "cancelled");
}

TEST_F(TaskLifecycle, ATaskOfAnotherSessionIsNotFound) {
  const auto id = create(true, "mine");
  auto r = manager->suspend(id, std::string("other"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::not_found);
  EXPECT_EQ(phase(id), Phase::in_engine);
}

// ---------------------------------------------------------------- the retry rule

TEST_F(TaskLifecycle, AnEndThatCannotBeCommittedForWantOfSpaceIsTriedAgainUntilItIs) {
  const auto id = create(true);
  writes->failures = {Error(errc::no_space, "disk full")};
  finish(id);
  EXPECT_EQ(phase(id), Phase::ending);
  EXPECT_EQ(state(id), "finalizing");
  EXPECT_TRUE(storedEventTypes().empty());
  io.run_for(1500ms);  // the one-second retry
  EXPECT_EQ(phase(id), Phase::completed);
  EXPECT_EQ(storedEventTypes(), (std::vector<std::string>{"didFinishDownloadingTo", "didComplete"}));
}

TEST_F(TaskLifecycle, AnEndThatFailsOtherwiseBecomesAFailure) {
  const auto id = create(true);
  writes->failures = {Error(errc::internal, "the database is damaged")};
  finish(id);
  EXPECT_EQ(phase(id), Phase::failed);
  auto info = manager->list(std::nullopt).front();
  ASSERT_TRUE(info.error);
  EXPECT_EQ(info.error->code, errc::internal);
  EXPECT_EQ(storedEventTypes(), std::vector<std::string>{"didComplete"});
}

// ---------------------------------------------------------------- crash and restart

TEST_F(TaskLifecycle, ARestartPutsEachStoredTaskBackWhereItWas) {
  const auto running = create(true);
  const auto suspended = create(false, "a session name longer than fifteen", "kept across a restart");
  const auto done = create(true);
  finish(done);
  // The running task wrote 9 bytes, of which 4 are durable: a restart cuts back to 4.
  std::ofstream(dir / ("partial/" + std::to_string(running) + ".part")) << std::string(9, 'y');
  ASSERT_TRUE(store->updateTaskOffset(running, 4, std::nullopt, "\"v\"", ""));
  const auto before = manager->list(std::nullopt);

  auto snapshot = store->load();
  ASSERT_TRUE(snapshot);
  FakeEngine after_crash;
  manager = makeManager(after_crash);
  manager->restore(*snapshot);
  EXPECT_EQ(phase(running), Phase::in_engine);
  EXPECT_EQ(phase(suspended), Phase::suspended);
  EXPECT_EQ(phase(done), Phase::completed);
  ASSERT_EQ(after_crash.downloads.size(), 1u);
  EXPECT_EQ(after_crash.downloads[0].id, running);
  EXPECT_EQ(after_crash.downloads[0].resume_offset, 4u);
  EXPECT_EQ(after_crash.downloads[0].validators.etag, "\"v\"");
  EXPECT_EQ(std::filesystem::file_size(dir / ("partial/" + std::to_string(running) + ".part")), 4u);
  // What a task keeps behind its details pointer (description, outcome) and its interned session
  // come back with it.
  const auto after = manager->list(std::nullopt);
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    SCOPED_TRACE(after[i].id);
    EXPECT_EQ(after[i].id, before[i].id);
    EXPECT_EQ(after[i].session, before[i].session);
    EXPECT_EQ(after[i].url, before[i].url);
    EXPECT_EQ(after[i].description, before[i].description);
    EXPECT_EQ(after[i].destination, before[i].destination);
    EXPECT_EQ(after[i].http_status, before[i].http_status);
    EXPECT_EQ(after[i].error.has_value(), before[i].error.has_value());
  }
  EXPECT_EQ(after[1].session, "a session name longer than fifteen");
  EXPECT_EQ(after[1].description, "kept across a restart");
  EXPECT_EQ(after[2].http_status, 200);
  EXPECT_FALSE(after[2].destination.empty());  // where the finished download was delivered
}

TEST_F(TaskLifecycle, AtShutdownRunningTasksStayRunningAndAStopInFlightLands) {
  const auto running = create(true);
  const auto cancelling = create(true);
  ASSERT_TRUE(manager->cancel(cancelling, std::nullopt));
  manager->checkpointAllForShutdown();
  io.poll();
  EXPECT_EQ(phase(running), Phase::stopping);
  EXPECT_EQ(phase(cancelling), Phase::cancelled);
  auto snapshot = store->load();
  for (const auto& row : snapshot->tasks) EXPECT_EQ(row.state, row.id == running ? "running" : "cancelled") << row.id;
  const auto before = engine.log.size();
  ASSERT_TRUE(manager->suspend(running, std::nullopt));
  EXPECT_EQ(engine.log.size(), before);  // nothing goes to the engine after shutdown
}

// ---------------------------------------------------------------- download groups

TEST_F(TaskLifecycle, AGroupPutsNoFileInPlaceUntilItsLastMemberHasItsBytesThenAll) {
  const auto g = createGroupOf(3);
  ASSERT_EQ(g.tasks.size(), 3u);
  const auto& m = g.tasks;
  finish(m[0]);
  finish(m[1]);
  EXPECT_EQ(phase(m[0]), Phase::awaiting_group);
  EXPECT_EQ(state(m[0]), "finalizing");
  EXPECT_FALSE(std::filesystem::exists(dir / "out/f0"));
  EXPECT_EQ(group(g.id)->progress.files_done, 2u);
  // Stored as waiting: a restart finds the member's bytes done.
  for (const auto& row : store->load()->tasks)
    if (row.id == m[0]) EXPECT_EQ(row.state, "finalizing");
  finish(m[2]);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(phase(m[i]), Phase::completed);
    EXPECT_EQ(std::filesystem::file_size(dir / ("out/f" + std::to_string(i))), 5u);
  }
  EXPECT_EQ(group(g.id)->state, "completed");
  const auto types = storedEventTypes();
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.back(), "didCompleteGroup");
  EXPECT_EQ(std::count(types.begin(), types.end(), "didComplete"), 3);
  EXPECT_EQ(std::count(types.begin(), types.end(), "didFinishDownloadingTo"), 3);
}

TEST_F(TaskLifecycle, AFailedMemberCancelsTheOthersRemovesTheirBytesAndNoFileAppears) {
  const auto g = createGroupOf(3);
  const auto& m = g.tasks;
  finish(m[0]);  // waits for its group
  finish(m[1], Error(errc::http_error, "the server answered 404 Not Found"));
  EXPECT_EQ(engine.count("stop " + std::to_string(m[2])), 1);  // the one still in the engine
  cancelledByEngine(m[2]);
  EXPECT_EQ(phase(m[0]), Phase::cancelled);
  EXPECT_EQ(phase(m[1]), Phase::failed);
  EXPECT_EQ(phase(m[2]), Phase::cancelled);
  for (auto id : m) EXPECT_FALSE(std::filesystem::exists(dir / ("partial/" + std::to_string(id) + ".part"))) << id;
  EXPECT_TRUE(std::filesystem::is_empty(dir / "out"));
  const auto ended = group(g.id);
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->state, "failed");
  ASSERT_EQ(ended->failures.size(), 1u);
  EXPECT_EQ(ended->failures[0].task, m[1]);
  EXPECT_EQ(ended->failures[0].error.code, "http-error");
  EXPECT_EQ(storedEventTypes().back(), "didCompleteGroup");
  // An ended group takes no commands.
  auto refused = manager->cancelGroup(g.id, std::nullopt);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "invalid-state");
}

}  // namespace
