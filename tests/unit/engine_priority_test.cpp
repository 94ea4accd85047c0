// Start order and holds: priorities among queued jobs, discretionary jobs, begin dates.

#include <gtest/gtest.h>

#include <algorithm>

#include "engine_harness.hpp"

namespace ferry::engine::test {
namespace {

template <class T>
bool has(const std::vector<Event>& events) {
  return std::any_of(events.begin(), events.end(), [](const Event& e) { return std::holds_alternative<T>(e); });
}

class EnginePriority : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_ / "www");
    for (int i = 1; i <= 4; ++i) ft::writeRandomFile(dir_ / "www" / (std::to_string(i) + ".bin"), 300 * 1000, 60 + i);
  }
  DownloadJob job(TaskId id, const ft::NginxServer& nginx, double priority = 0.5) {
    auto j = makeJob(id, nginx.url("/" + std::to_string(id) + ".bin"), dir_ / (std::to_string(id) + ".part"));
    j.group = "g";
    j.max_bytes_per_second = 1000 * 1000;  // ~0.3 s each
    j.scheduling.priority = priority;
    return j;
  }

  ft::TempDir dir_{"ferry-engine"};
  EventRecorder events_;
};

TEST_F(EnginePriority, QueuedJobsStartByPriorityThenArrival) {
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  Engine engine(events_.sink());
  engine.setGroupLimits("g", GroupLimits{1, 4});
  engine.start(job(1, nginx, 1.0));  // first whatever the batching: the highest priority
  engine.start(job(2, nginx, 0.1));
  engine.start(job(3, nginx, 0.9));
  engine.start(job(4, nginx, 0.1));
  for (TaskId id = 1; id <= 4; ++id) ASSERT_TRUE(events_.waitFinished(id));
  auto all = events_.all();
  EXPECT_LT(indexOf<Finished>(all, 1), indexOf<Responded>(all, 3));
  EXPECT_LT(indexOf<Finished>(all, 3), indexOf<Responded>(all, 2));
  EXPECT_LT(indexOf<Finished>(all, 2), indexOf<Responded>(all, 4));  // same priority: arrival order
  for (TaskId id = 2; id <= 4; ++id) EXPECT_EQ(events_.all<Waiting>(id).back().reason, "concurrency-limit");
}

TEST_F(EnginePriority, DiscretionaryJobWaitsForRunningWorkAndThenRuns) {
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  Engine engine(events_.sink());
  engine.start(job(1, nginx));
  ASSERT_TRUE(events_.waitFor(1, has<Responded>));
  auto later = job(2, nginx);
  later.scheduling.discretionary = true;
  engine.start(later);
  ASSERT_TRUE(events_.waitFinished(1));
  auto finished = events_.waitFinished(2);
  ASSERT_TRUE(finished);
  EXPECT_FALSE(finished->error);
  EXPECT_EQ(events_.all<Waiting>(2).back().reason, "discretionary");
  auto all = events_.all();
  EXPECT_LT(indexOf<Finished>(all, 1), indexOf<Responded>(all, 2));
  EXPECT_EQ(ft::sha256File(dir_ / "2.part"), ft::sha256File(dir_ / "www/2.bin"));
}

TEST_F(EnginePriority, BeginDateHoldsTheJobUntilThen) {
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  Engine engine(events_.sink());
  auto dated = job(1, nginx);
  const auto begin = std::chrono::floor<std::chrono::seconds>(WallClock::now()) + 2s;
  dated.scheduling.begin_at = begin;
  engine.start(dated);
  ASSERT_TRUE(events_.waitFor(1, has<Responded>));
  EXPECT_GE(WallClock::now(), begin);  // never before: an order of events, not a duration
  auto waiting = events_.all<Waiting>(1);
  ASSERT_GE(waiting.size(), 2u);
  EXPECT_EQ(waiting[0].reason.rfind("begin-date 20", 0), 0u) << waiting[0].reason;
  EXPECT_EQ(waiting[0].reason.back(), 'Z');
  EXPECT_EQ(waiting[1].reason, "queued");
  ASSERT_TRUE(events_.waitFinished(1));
}

TEST_F(EnginePriority, StoppingAJobHeldForItsBeginDateFinishesItAsCancelled) {
  ft::NginxServer nginx(nginxOptions(dir_ / "www"));
  Engine engine(events_.sink());
  auto dated = job(1, nginx);
  dated.scheduling.begin_at = WallClock::now() + std::chrono::hours(1);
  engine.start(dated);
  ASSERT_TRUE(events_.waitFor(1, has<Waiting>));
  engine.stop(1);
  auto finished = events_.waitFinished(1);
  ASSERT_TRUE(finished);
  ASSERT_TRUE(finished->error);
  EXPECT_EQ(finished->error->code, errc::cancelled);
}

}  // namespace
}  // namespace ferry::engine::test
