// Durability: a child process writes through the Writer and reports every Done it sees; it is
// SIGKILLed mid-stream. Reopening the database must show every item whose Done ran.

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <set>
#include <thread>

#include "store/writer.hpp"
#include "support/fixtures.hpp"

using namespace ferry;
using namespace ferry::store;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t kAcksBeforeKill = 300;

// One unit of work as the daemon would write it: the task, its offset, and an outbox event.
Result<void> writeItem(Store& s, std::uint64_t n) {
  TaskRow t;
  t.id = n;
  t.session = "s";
  t.state = "running";
  t.request_json = R"({"url":"http://127.0.0.1/f"})";
  if (auto r = s.upsertTask(t); !r) return r;
  if (auto r = s.updateTaskOffset(n, n * 1000, n * 2000, "\"etag\"", ""); !r) return r;
  return s.appendEvent(EventRow{n, "s", n, "didWriteData", "{}"});
}

// The child: writes items forever (until killed), reporting each committed one on `ack_fd`.
[[noreturn]] void childWriter(const std::filesystem::path& path, int ack_fd) {
  auto store = Store::open(path);
  if (!store) ::_exit(2);
  Writer writer(**store, 5ms);
  writer.submit(Durability::lifecycle, [](Store& s) { return s.upsertSession(SessionRow{"s", "{}", 1}); });
  for (std::uint64_t n = 1;; ++n) {
    const auto durability = n % 3 == 0 ? Durability::lifecycle : Durability::progress;
    writer.submit(durability, [n](Store& s) { return writeItem(s, n); },
                  [n, ack_fd](Result<void> r) {
                    if (!r) ::_exit(3);
                    if (::write(ack_fd, &n, sizeof n) != sizeof n) ::_exit(4);
                  });
    if (n % 50 == 0) std::this_thread::sleep_for(1ms);  // keep the queue from growing unbounded
  }
}

}  // namespace

TEST(StoreDurability, EveryItemWhoseDoneRanSurvivesSigkill) {
  test::TempDir dir;
  const auto path = dir / "state.db";
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    childWriter(path, fds[1]);
  }
  ::close(fds[1]);

  std::set<std::uint64_t> acked;
  auto readAck = [&]() {
    std::uint64_t n = 0;
    const ssize_t got = ::read(fds[0], &n, sizeof n);
    if (got == static_cast<ssize_t>(sizeof n)) acked.insert(n);
    return got > 0;
  };
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (acked.size() < kAcksBeforeKill && std::chrono::steady_clock::now() < deadline && readAck()) {
  }
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the child stopped by itself first (exit " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1) << ")";
  while (readAck()) {  // acks written just before the kill
  }
  ::close(fds[0]);
  ASSERT_GE(acked.size(), kAcksBeforeKill);

  auto store = Store::open(path);  // recovers the WAL and runs quick_check
  ASSERT_TRUE(store) << store.error().describe();
  auto snap = (*store)->load();
  ASSERT_TRUE(snap) << snap.error().describe();
  std::set<std::uint64_t> tasks;
  for (const auto& t : snap->tasks) {
    tasks.insert(t.id);
    EXPECT_EQ(t.durable_offset, t.id * 1000);
  }
  std::set<std::uint64_t> events;
  for (const auto& e : snap->events) events.insert(e.seq);
  std::size_t missing = 0;
  for (auto n : acked) {
    if (!tasks.count(n) || !events.count(n)) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged items";
  // Units of work are atomic: a task without its event (or the reverse) never appears.
  EXPECT_EQ(tasks, events);
  EXPECT_GE(snap->max_task_id, *acked.rbegin());
}
