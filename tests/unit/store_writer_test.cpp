// The Writer: batching, savepoints per Work, Done after commit, flush() and the draining
// destructor, on real SQLite files.

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "store/writer.hpp"
#include "support/fixtures.hpp"
#include "support/store_helpers.hpp"

using namespace ferry;
using namespace ferry::store;
using ferry::test::openStore;
using namespace std::chrono_literals;

namespace {

TaskRow minimalTask(std::uint64_t id, const std::string& session_id = "s") {
  TaskRow t;
  t.id = id;
  t.session = session_id;
  t.state = "running";
  t.request_json = "{}";
  return t;
}

Writer::Work storeTask(std::uint64_t id) {
  return [id](Store& s) { return s.upsertTask(minimalTask(id)); };
}

// Counts rows from a second connection: only committed data is visible there.
std::int64_t committedTasks(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  std::int64_t count = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM tasks", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      count = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return count;
}

class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = openStore(path());
    ASSERT_TRUE(store_);
    ASSERT_TRUE(store_->begin(true));
    ASSERT_TRUE(store_->upsertSession(SessionRow{"s", "{}", 1}));
    ASSERT_TRUE(store_->commit());
  }
  std::filesystem::path path() const { return dir_ / "state.db"; }
  std::vector<std::uint64_t> storedTaskIds() {
    std::vector<std::uint64_t> ids;
    auto snap = store_->load();
    EXPECT_TRUE(snap) << snap.error().describe();
    if (snap) {
      for (const auto& t : snap->tasks) ids.push_back(t.id);
    }
    return ids;
  }

  test::TempDir dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace

TEST_F(WriterTest, FailingWorkIsRolledBackAloneAndGetsItsOwnError) {
  std::mutex m;
  std::vector<std::pair<int, Result<void>>> results;
  auto record = [&](int n) {
    return [&, n](Result<void> r) {
      std::lock_guard lock(m);
      results.emplace_back(n, std::move(r));
    };
  };
  {
    Writer writer(*store_, 50ms);
    writer.submit(Durability::lifecycle, storeTask(1), record(1));
    writer.submit(Durability::progress,
                  [](Store& s) -> Result<void> {
                    // Writes, then fails: its write must be undone.
                    if (auto r = s.upsertTask(minimalTask(2)); !r) return r;
                    return fail(errc::io, "could not sync partial/2");
                  },
                  record(2));
    writer.submit(Durability::progress,
                  [](Store& s) -> Result<void> {
                    if (auto r = s.upsertTask(minimalTask(3)); !r) return r;
                    throw std::runtime_error("boom");
                  },
                  record(3));
    writer.submit(Durability::progress,
                  [](Store& s) -> Result<void> {
                    if (auto r = s.appendEvent(EventRow{1, "s", 1, "x", "{}"}); !r) return r;
                    return s.appendEvent(EventRow{1, "s", 1, "x", "{}"});  // same seq: refused
                  },
                  record(4));
    writer.submit(Durability::progress, storeTask(5), record(5));
    writer.flush();
  }
  EXPECT_EQ(storedTaskIds(), (std::vector<std::uint64_t>{1, 5}));
  auto snap = store_->load();
  ASSERT_TRUE(snap);
  EXPECT_TRUE(snap->events.empty()) << "the failing Work's first event was rolled back with it";
  ASSERT_EQ(results.size(), 5u);
  for (auto& [n, r] : results) {
    switch (n) {
      case 1:
      case 5:
        EXPECT_TRUE(r) << n << ": " << r.error().describe();
        break;
      case 2:
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, errc::io);
        EXPECT_EQ(r.error().message, "could not sync partial/2");
        break;
      case 3:
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, errc::internal);
        EXPECT_NE(r.error().message.find("boom"), std::string::npos) << r.error().message;
        break;
      case 4:
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, errc::invalid_argument);
        break;
    }
  }
  // Done callbacks run in submission order.
  for (std::size_t i = 0; i < results.size(); ++i) EXPECT_EQ(results[i].first, static_cast<int>(i + 1));
}

TEST_F(WriterTest, ABatchWithAnyLifecycleWorkCommitsWithFullSync) {
  std::atomic<bool> gate_open{false};
  std::vector<std::optional<bool>> seen(4);
  auto observe = [&](std::size_t slot) {
    return [&, slot](Store& s) -> Result<void> {
      auto full = s.synchronousIsFull();
      if (!full) return tl::unexpected(full.error());
      seen[slot] = *full;
      return {};
    };
  };
  Writer writer(*store_, 20ms);
  // The gate holds the first batch so that each pair below lands in one batch.
  auto gate = [&](Store&) -> Result<void> {
    while (!gate_open) std::this_thread::sleep_for(1ms);
    return {};
  };
  writer.submit(Durability::progress, gate);
  writer.submit(Durability::progress, observe(0));
  writer.submit(Durability::lifecycle, observe(1));  // makes the whole batch FULL
  gate_open = true;
  writer.flush();
  gate_open = false;
  writer.submit(Durability::progress, gate);
  writer.submit(Durability::progress, observe(2));
  writer.submit(Durability::progress, observe(3));
  gate_open = true;
  writer.flush();
  EXPECT_EQ(seen[0], std::optional<bool>(true));
  EXPECT_EQ(seen[1], std::optional<bool>(true));
  EXPECT_EQ(seen[2], std::optional<bool>(false));
  EXPECT_EQ(seen[3], std::optional<bool>(false));
}

TEST_F(WriterTest, ManySubmitsShareFewTransactions) {
  constexpr int kItems = 2000;
  std::atomic<int> ok{0};
  const auto commits_before = store_->commitCount();
  {
    Writer writer(*store_, 50ms);
    for (int i = 1; i <= kItems; ++i) {
      writer.submit(i % 100 == 0 ? Durability::lifecycle : Durability::progress, storeTask(i),
                    [&](Result<void> r) { ok += r ? 1 : 0; });
    }
    writer.flush();
    EXPECT_EQ(ok.load(), kItems);
  }
  const auto commits = store_->commitCount() - commits_before;
  // Leading edge: the first submit may go alone, the rest wait for a tick and go together.
  EXPECT_GE(commits, 1u);
  EXPECT_LE(commits, 10u) << "2000 quick submits should need a handful of transactions";
  EXPECT_EQ(committedTasks(path()), kItems);
}

TEST_F(WriterTest, PromptWorkDoesNotWaitForTheTickAndTakesTheWaitingWorkAlong) {
  Writer writer(*store_, std::chrono::milliseconds(10'000));
  std::atomic<bool> first{false}, batched{false}, prompt{false};
  std::this_thread::sleep_for(20ms);  // let the writer go idle
  writer.submit(Durability::progress, storeTask(1), [&](Result<void> r) { first = r.has_value(); });
  ASSERT_TRUE(test::waitUntil([&] { return first.load(); }, 5s)) << "the leading edge";
  writer.submit(Durability::lifecycle, storeTask(2), [&](Result<void> r) { batched = r.has_value(); });
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(batched.load()) << "a batched item within a tick of the last batch waits for the next tick";
  writer.submit(Durability::progress, storeTask(3), [&](Result<void> r) { prompt = r.has_value(); },
                Commit::prompt);
  // Well below the 10 s tick: the prompt item goes now, and the waiting one with it.
  EXPECT_TRUE(test::waitUntil([&] { return prompt.load() && batched.load(); }, 5s));
  EXPECT_EQ(committedTasks(path()), 3);
}

TEST_F(WriterTest, PromptWorkArrivingDuringACommitSharesTheNextOne) {
  constexpr int kItems = 2000;
  std::atomic<bool> gate_open{false};
  std::atomic<int> ok{0};
  const auto commits_before = store_->commitCount();
  {
    Writer writer(*store_, 20ms);
    writer.submit(
        Durability::lifecycle,
        [&](Store&) -> Result<void> {
          while (!gate_open) std::this_thread::sleep_for(1ms);
          return {};
        },
        {}, Commit::prompt);
    for (int i = 1; i <= kItems; ++i) {
      writer.submit(Durability::lifecycle, storeTask(i), [&](Result<void> r) { ok += r ? 1 : 0; }, Commit::prompt);
    }
    gate_open = true;
    writer.flush();
  }
  EXPECT_EQ(ok.load(), kItems);
  // The gate's batch, then one batch for the 2,000 that queued behind it (group commit).
  EXPECT_LE(store_->commitCount() - commits_before, 2u);
  EXPECT_EQ(committedTasks(path()), kItems);
}

TEST_F(WriterTest, SubmitsSpreadOverTimeAreCommittedOncePerTick) {
  const auto commits_before = store_->commitCount();
  std::atomic<int> ok{0};
  const auto start = std::chrono::steady_clock::now();
  {
    Writer writer(*store_, 100ms);
    // 60 submits, one every 5 ms: 300 ms, so about 3-4 ticks of 100 ms.
    for (int i = 1; i <= 60; ++i) {
      writer.submit(Durability::progress, storeTask(i), [&](Result<void> r) { ok += r ? 1 : 0; });
      std::this_thread::sleep_for(5ms);
    }
    writer.flush();
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const auto commits = store_->commitCount() - commits_before;
  EXPECT_EQ(ok.load(), 60);
  const auto ticks = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() / 100;
  EXPECT_LE(commits, static_cast<std::uint64_t>(ticks + 2)) << "at most one transaction per tick";
  EXPECT_GE(commits, 2u);
}

TEST_F(WriterTest, IdleWriterCommitsALoneItemAtOnce) {
  Writer writer(*store_, std::chrono::milliseconds(10'000));
  std::atomic<bool> done{false};
  std::this_thread::sleep_for(20ms);  // let the writer go idle
  writer.submit(Durability::lifecycle, storeTask(1), [&](Result<void>) { done = true; });
  // Well below the 10 s tick: the leading edge does not wait.
  EXPECT_TRUE(test::waitUntil([&] { return done.load(); }, 5s));
}

TEST_F(WriterTest, DoneRunsAfterTheCommitIsVisibleToOtherConnections) {
  std::atomic<int> seen_in_done{-1};
  {
    Writer writer(*store_, 20ms);
    writer.submit(Durability::lifecycle, storeTask(1));
    writer.submit(Durability::lifecycle, storeTask(2),
                  [&](Result<void> r) {
                    ASSERT_TRUE(r);
                    seen_in_done = static_cast<int>(committedTasks(path()));
                  });
    writer.flush();
  }
  EXPECT_EQ(seen_in_done.load(), 2);
}

TEST_F(WriterTest, FlushWaitsForEverythingSubmittedBeforeAndSkipsTheTick) {
  Writer writer(*store_, std::chrono::milliseconds(10'000));
  std::atomic<int> done{0};
  // The first one goes on the leading edge; the others would wait 10 s for the next tick.
  for (int i = 1; i <= 50; ++i) {
    writer.submit(Durability::progress, storeTask(i), [&](Result<void> r) { done += r ? 1 : 0; });
  }
  const auto start = std::chrono::steady_clock::now();
  writer.flush();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(done.load(), 50);
  EXPECT_EQ(committedTasks(path()), 50);
  writer.flush();  // nothing pending: returns at once
}

TEST_F(WriterTest, FlushFromSeveralThreadsAtOnce) {
  Writer writer(*store_, 30ms);
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        const std::uint64_t id = static_cast<std::uint64_t>(t * 1000 + i + 1);
        writer.submit(Durability::progress, storeTask(id), [&](Result<void> r) { done += r ? 1 : 0; });
        if (i % 25 == 0) writer.flush();
      }
      writer.flush();
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(done.load(), 400);
}

TEST_F(WriterTest, DestructorDrainsTheQueueWithoutWaitingForTheTick) {
  std::atomic<int> done{0};
  const auto start = std::chrono::steady_clock::now();
  {
    Writer writer(*store_, std::chrono::milliseconds(10'000));
    for (int i = 1; i <= 100; ++i) {
      writer.submit(Durability::lifecycle, storeTask(i), [&](Result<void> r) { done += r ? 1 : 0; });
    }
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(done.load(), 100);
  EXPECT_EQ(committedTasks(path()), 100);
}

TEST_F(WriterTest, DoneThatThrowsDoesNotStopTheWriter) {
  std::atomic<int> done{0};
  Writer writer(*store_, 10ms);
  writer.submit(Durability::progress, storeTask(1), [](Result<void>) { throw std::runtime_error("x"); });
  writer.submit(Durability::progress, storeTask(2), [&](Result<void> r) { done += r ? 1 : 0; });
  writer.flush();
  writer.submit(Durability::progress, storeTask(3), [&](Result<void> r) { done += r ? 1 : 0; });
  writer.flush();
  EXPECT_EQ(done.load(), 2);
  EXPECT_EQ(committedTasks(path()), 3);
}

TEST_F(WriterTest, FlushInsideDoneReturnsInsteadOfDeadlocking) {
  std::atomic<bool> returned{false};
  Writer writer(*store_, 10ms);
  writer.submit(Durability::progress, storeTask(1), [&](Result<void>) {
    writer.flush();
    returned = true;
  });
  writer.flush();
  EXPECT_TRUE(returned.load());
}

TEST_F(WriterTest, WhenSQLiteAbortsTheWholeTransactionEarlierItemsReportTheLoss) {
  // SQLITE_FULL or SQLITE_IOERR may roll back the whole transaction, not just the statement.
  // A Work that rolls back by itself and fails looks exactly like that to the Writer.
  std::mutex m;
  std::vector<Result<void>> results;
  auto record = [&](Result<void> r) {
    std::lock_guard lock(m);
    results.push_back(std::move(r));
  };
  std::atomic<bool> gate_open{false};
  {
    Writer writer(*store_, 20ms);
    // Holds the writer in its first batch so that the next four share one transaction.
    writer.submit(Durability::progress, [&](Store&) -> Result<void> {
      while (!gate_open) std::this_thread::sleep_for(1ms);
      return {};
    });
    writer.submit(Durability::progress, storeTask(1), record);
    writer.submit(Durability::progress, storeTask(2), record);
    writer.submit(Durability::progress,
                  [](Store& s) -> Result<void> {
                    s.rollback();
                    return fail(errc::no_space, "database or disk is full");
                  },
                  record);
    writer.submit(Durability::progress, storeTask(4), record);
    gate_open = true;
    writer.flush();
  }
  EXPECT_EQ(storedTaskIds(), (std::vector<std::uint64_t>{4}));
  ASSERT_EQ(results.size(), 4u);
  for (int i : {0, 1}) {
    ASSERT_FALSE(results[i]);
    EXPECT_EQ(results[i].error().code, errc::no_space);
    EXPECT_NE(results[i].error().message.find("rolled back the whole batch"), std::string::npos)
        << results[i].error().message;
  }
  ASSERT_FALSE(results[2]);
  EXPECT_EQ(results[2].error().message, "database or disk is full");
  EXPECT_TRUE(results[3]) << results[3].error().describe();
}
