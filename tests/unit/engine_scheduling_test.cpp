// Admission (group, host and total limits), stop() in every state, and engine shutdown.

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "engine_harness.hpp"

namespace ferry::engine::test {
namespace {

class EngineScheduling : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "www");
    ft::writeRandomFile(dir_ / "www/a.bin", 400 * 1000, 31);
    ft::writeRandomFile(dir_ / "www/b.bin", 400 * 1000, 32);
  }
  DownloadJob slowJob(TaskId id, const ft::NginxServer& nginx, const std::string& name,
                      std::uint64_t bytes_per_second = 1000 * 1000 /* ~0.4 s each */) {
    auto job = makeJob(id, nginx.url("/" + name), dir_ / (name + ".part"));
    job.group = "g";
    job.max_bytes_per_second = bytes_per_second;
    return job;
  }

  ft::TempDir dir_{"ferry-engine"};
  EventRecorder events_;
};

TEST_F(EngineScheduling, GroupConcurrencyLimitQueuesFifo) {
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  Engine engine(events_.sink());
  engine.setGroupLimits("g", GroupLimits{1, 4});
  engine.start(slowJob(1, nginx, "a.bin"));
  engine.start(slowJob(2, nginx, "b.bin"));
  ASSERT_TRUE(events_.waitFinished(1) && events_.waitFinished(2));

  auto waiting = events_.all<Waiting>(2);
  ASSERT_EQ(waiting.size(), 2u);
  EXPECT_EQ(waiting[0].reason, "queued");
  EXPECT_EQ(waiting[1].reason, "concurrency-limit");
  auto all = events_.all();
  EXPECT_LT(indexOf<Finished>(all, 1), indexOf<Responded>(all, 2));
  EXPECT_EQ(ft::sha256File(dir_ / "b.bin.part"), ft::sha256File(dir_ / "www/b.bin"));
}

// The total limit reached ends a scheduling pass early (settleAtTotalLimit): every job queued
// behind it, in any group, is still told "concurrency-limit", once, and runs when its turn comes.
TEST_F(EngineScheduling, AFullEngineTellsEveryQueuedJobOnceAndRunsThemInTurn) {
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  EngineOptions options;
  options.max_total_concurrent = 1;
  Engine engine(events_.sink(), options);
  engine.start(slowJob(1, nginx, "a.bin"));
  for (TaskId id = 2; id <= 6; ++id) {
    auto job = slowJob(id, nginx, "b.bin", 0);
    job.group = id % 2 == 0 ? "g" : "h";
    job.partial_path = dir_ / ("b" + std::to_string(id) + ".part");
    engine.start(job);
  }
  for (TaskId id = 1; id <= 6; ++id) ASSERT_TRUE(events_.waitFinished(id)) << id;
  auto all = events_.all();
  for (TaskId id = 2; id <= 6; ++id) {
    std::vector<std::string> reasons;
    for (const auto& w : events_.all<Waiting>(id)) reasons.push_back(w.reason);
    EXPECT_EQ(reasons, (std::vector<std::string>{"queued", "concurrency-limit"})) << "task " << id;
    EXPECT_LT(indexOf<Finished>(all, id - 1), indexOf<Responded>(all, id)) << "task " << id;  // one at a time, FIFO
    EXPECT_EQ(ft::sha256File(dir_ / ("b" + std::to_string(id) + ".part")), ft::sha256File(dir_ / "www/b.bin"));
  }
}

TEST_F(EngineScheduling, PerHostLimitLetsOtherHostsRun) {
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  ft::NginxServer other(nginxOptions(dir_ / "www"));
  Engine engine(events_.sink());
  engine.setGroupLimits("g", GroupLimits{4, 1});
  engine.start(slowJob(1, nginx, "a.bin"));
  engine.start(slowJob(2, nginx, "b.bin"));
  auto third = slowJob(3, other, "b.bin");
  third.partial_path = dir_ / "third.part";
  engine.start(third);
  ASSERT_TRUE(events_.waitFinished(1) && events_.waitFinished(2) && events_.waitFinished(3));

  EXPECT_EQ(events_.all<Waiting>(2).back().reason, "connection-limit");
  auto all = events_.all();
  EXPECT_LT(indexOf<Finished>(all, 1), indexOf<Responded>(all, 2));
  EXPECT_LT(indexOf<Responded>(all, 3), indexOf<Finished>(all, 1));  // another host: not held back
}

TEST_F(EngineScheduling, TotalLimitSpansGroups) {
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  EngineOptions options;
  options.max_total_concurrent = 1;
  Engine engine(events_.sink(), options);
  engine.start(slowJob(1, nginx, "a.bin"));
  auto second = slowJob(2, nginx, "b.bin");
  second.group = "another";
  engine.start(second);
  ASSERT_TRUE(events_.waitFinished(1) && events_.waitFinished(2));
  EXPECT_EQ(events_.all<Waiting>(2).back().reason, "concurrency-limit");
  auto all = events_.all();
  EXPECT_LT(indexOf<Finished>(all, 1), indexOf<Responded>(all, 2));
}

TEST_F(EngineScheduling, RaisingTheLimitStartsWaitingJobs) {
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  Engine engine(events_.sink());
  engine.setGroupLimits("g", GroupLimits{1, 4});
  engine.start(slowJob(1, nginx, "a.bin", 300 * 1000));  // ~1.3 s: time to raise the limit
  engine.start(slowJob(2, nginx, "b.bin"));
  ASSERT_TRUE(events_.waitFor(2, [](const std::vector<Event>& events) {
    auto waiting = eventsOfType<Waiting>(events);
    return !waiting.empty() && waiting.back().reason == "concurrency-limit";
  }));
  engine.setGroupLimits("g", GroupLimits{2, 4});
  ASSERT_TRUE(events_.waitFinished(1) && events_.waitFinished(2));
  auto all = events_.all();
  EXPECT_LT(indexOf<Responded>(all, 2), indexOf<Finished>(all, 1));
}

TEST_F(EngineScheduling, StopMidTransferLeavesAResumablePartialFile) {
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  Engine engine(events_.sink());
  engine.start(slowJob(1, nginx, "a.bin"));
  ASSERT_TRUE(events_.waitFor(1, [](const std::vector<Event>& events) {
    auto progress = eventsOfType<Progress>(events);
    return !progress.empty() && progress.back().total_written >= 100000;
  }));
  engine.stop(1);
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished && finished->error);
  EXPECT_EQ(finished->error->code, errc::cancelled);
  EXPECT_TRUE(finished->resumable);
  EXPECT_FALSE(finished->validators.empty());
  EXPECT_GE(finished->total_written, 100000u);
  EXPECT_LT(finished->total_written, 400000u);
  EXPECT_EQ(std::filesystem::file_size(dir_ / "a.bin.part"), finished->total_written);
  EXPECT_EQ(ft::readFile(dir_ / "a.bin.part"), prefixOf(dir_ / "www/a.bin", finished->total_written));
  auto progress = events_.all<Progress>(1);
  EXPECT_EQ(progress.back().total_written, finished->total_written);

  // Nothing follows a Finished, and the stopped id is forgotten.
  const auto count = events_.count();
  engine.stop(1);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(events_.count(), count);

  // The owner resumes it later from what the Finished reported.
  auto resumed = slowJob(2, nginx, "a.bin");
  resumed.max_bytes_per_second = 0;
  resumed.resume_offset = finished->total_written;
  resumed.validators = finished->validators;
  engine.start(resumed);
  auto done = events_.waitFinished(2);
  ASSERT_TRUE(done && !done->error);
  EXPECT_EQ(events_.all<Responded>(2).at(0).offset, finished->total_written);
  EXPECT_EQ(ft::sha256File(dir_ / "a.bin.part"), ft::sha256File(dir_ / "www/a.bin"));
}

TEST_F(EngineScheduling, StopWaitingAndBackingOffJobs) {
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  FixtureServer failing(dir_, dir_ / "www/a.bin", {"--fail-first", "1000"});
  Engine engine(events_.sink());
  engine.setGroupLimits("g", GroupLimits{1, 4});
  engine.start(slowJob(1, nginx, "a.bin"));
  engine.start(slowJob(2, nginx, "b.bin"));  // waits for job 1
  auto backing_off = makeJob(3, failing.url(), dir_ / "c.part");
  backing_off.retry.initial_backoff = 10s;
  engine.start(backing_off);
  ASSERT_TRUE(events_.waitFor(3, [](const std::vector<Event>& events) {
    return !eventsOfType<Retrying>(events).empty();
  }));
  engine.stop(2);
  engine.stop(3);
  auto stopped_waiting = events_.waitFinished(2, 5s);
  auto stopped_backing_off = events_.waitFinished(3, 5s);
  ASSERT_TRUE(stopped_waiting && stopped_backing_off);
  EXPECT_EQ(stopped_waiting->error->code, errc::cancelled);
  EXPECT_FALSE(stopped_waiting->resumable);
  EXPECT_EQ(stopped_waiting->total_written, 0u);
  EXPECT_EQ(stopped_backing_off->error->code, errc::cancelled);
  EXPECT_EQ(events_.all<Responded>(2).size(), 0u);
  engine.stop(1);
  ASSERT_TRUE(events_.waitFinished(1, 5s));
}

TEST_F(EngineScheduling, DestructionAbandonsRunningJobsSilently) {
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  std::size_t count = 0;
  {
    Engine engine(events_.sink());
    engine.start(slowJob(1, nginx, "a.bin"));
    engine.start(slowJob(2, nginx, "b.bin"));
    ASSERT_TRUE(events_.waitFor(1, [](const std::vector<Event>& events) {
      return !eventsOfType<Progress>(events).empty();
    }));
  }
  count = events_.count();
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(events_.count(), count);
  EXPECT_FALSE(events_.waitFinished(1, 0ms));
}

TEST_F(EngineScheduling, ManyJobsFromManyThreads) {
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  Engine engine(events_.sink());
  engine.setGroupLimits("g", GroupLimits{3, 2});
  constexpr int kThreads = 4;
  constexpr int kJobsPerThread = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kJobsPerThread; ++i) {
        const TaskId id = static_cast<TaskId>(100 * (t + 1) + i);
        auto job = makeJob(id, nginx.url(i % 2 ? "/a.bin" : "/b.bin"), dir_ / (std::to_string(id) + ".part"));
        job.group = "g";
        engine.start(job);
        if (i % 3 == 0) engine.stop(id);  // some are stopped at once, in whatever state they are
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kJobsPerThread; ++i) {
      const TaskId id = static_cast<TaskId>(100 * (t + 1) + i);
      auto finished = events_.waitFinished(id);
      ASSERT_TRUE(finished) << id;
      if (i % 3 == 0) {
        ASSERT_TRUE(finished->error);
        EXPECT_EQ(finished->error->code, errc::cancelled);
        continue;
      }
      ASSERT_FALSE(finished->error) << finished->error->describe();
      EXPECT_EQ(ft::sha256File(dir_ / (std::to_string(id) + ".part")),
                ft::sha256File(dir_ / (i % 2 ? "www/a.bin" : "www/b.bin")));
      EXPECT_EQ(events_.all<Finished>(id).size(), 1u);
    }
  }
  // Between its Responded and its Finished a job surely holds a slot: never more than 3 at once.
  std::set<TaskId> active;
  std::size_t most = 0;
  for (const auto& event : events_.all()) {
    if (std::holds_alternative<Responded>(event)) active.insert(taskOf(event));
    if (std::holds_alternative<Finished>(event)) active.erase(taskOf(event));
    most = std::max(most, active.size());
  }
  EXPECT_LE(most, 3u);
}

}  // namespace
}  // namespace ferry::engine::test
