#pragma once
// SQLite (WAL) persistence of sessions, tasks, the event outbox and resume tokens.
//
// Threading: the daemon opens the Store and calls load() on its main thread at start-up; after
// that only the Writer's thread touches it (every mutation below runs inside the Writer's batch
// transaction). The Store itself does no locking.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "store/records.hpp"

namespace ferry::store {

struct Snapshot {
  std::vector<SessionRow> sessions;
  std::vector<TaskRow> tasks;            // ordered by id
  std::vector<EventRow> events;          // ordered by seq
  std::vector<ResumeTokenRow> resume_tokens;
  std::vector<LaunchScheduleRow> launch_schedules;
  std::vector<GroupRow> groups;          // ordered by id
  std::uint64_t max_task_id = 0;         // ids handed out before (including deleted tasks)
  std::uint64_t max_event_seq = 0;
  // Settings kept in the meta table (e.g. "limit:global"), without the id high-water marks.
  std::map<std::string, std::int64_t> meta;
};

class Store {
 public:
  // Opens or creates the database (WAL, busy_timeout, schema migrations by user_version).
  // A file that is not a Ferry database gives a clear error, never a crash.
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& db_path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  Result<Snapshot> load();

  // Transactions (used by the Writer). `full_sync` chooses PRAGMA synchronous FULL or NORMAL.
  Result<void> begin(bool full_sync);
  Result<void> commit();
  void rollback();
  Result<void> savepoint();         // around each unit of work inside a batch
  Result<void> releaseSavepoint();
  void rollbackToSavepoint();
  // Whether a transaction is open. SQLite rolls a whole transaction back by itself after some
  // errors (SQLITE_FULL, SQLITE_IOERR, ...): the Writer asks this after a failed Work.
  bool inTransaction() const;
  // Whether the connection's PRAGMA synchronous is FULL now (asked of SQLite, not remembered):
  // inside a Writer batch, whether this batch commits with FULL.
  Result<bool> synchronousIsFull();
  // Commits SQLite has performed on this connection (counted by sqlite3_commit_hook), for tests
  // and statistics. Safe to call from any thread.
  std::uint64_t commitCount() const;

  Result<void> upsertSession(const SessionRow& row);
  Result<void> deleteSession(const std::string& id);  // with its tasks, groups, events, tokens and launch schedule

  Result<void> upsertLaunchSchedule(const LaunchScheduleRow& row);
  Result<void> deleteLaunchSchedule(const std::string& session);

  Result<void> upsertTask(const TaskRow& row);
  Result<void> updateTaskOffset(std::uint64_t id, std::uint64_t durable_offset,
                                std::optional<std::uint64_t> expected_total, const std::string& etag,
                                const std::string& last_modified, const std::string& segments = "");
  Result<void> deleteTask(std::uint64_t id);
  // Keeps max_task_id monotonic even when the newest task is deleted.
  Result<void> noteTaskId(std::uint64_t id);

  Result<void> upsertGroup(const GroupRow& row);
  Result<void> deleteGroup(std::uint64_t id);

  Result<void> appendEvent(const EventRow& row);
  Result<void> deleteEvent(std::uint64_t seq);

  // Daemon settings in the meta table (bandwidth limits). The names max_task_id and max_event_seq
  // are the store's own and refused.
  Result<void> putMeta(const std::string& name, std::int64_t value);
  Result<void> deleteMeta(const std::string& name);

  Result<void> putResumeToken(const ResumeTokenRow& row);
  Result<void> markResumeTokenUsed(const std::string& token);
  Result<void> deleteResumeToken(const std::string& token);

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::store
