#include "store/schema.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

namespace ferry::store::schema {
namespace {

// kMigrations[v] takes a database from user_version v to v + 1. Never edit a shipped step: add one.
constexpr std::array<std::string_view, kVersion> kMigrations = {
    // 0 -> 1: sessions, tasks, the event outbox, resume tokens and the id high-water marks.
    R"sql(
CREATE TABLE meta (
  name  TEXT PRIMARY KEY NOT NULL,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (name, value) VALUES ('max_task_id', 0), ('max_event_seq', 0);

CREATE TABLE sessions (
  id                 TEXT PRIMARY KEY NOT NULL,
  configuration_json TEXT NOT NULL,
  created_at         INTEGER NOT NULL
);

CREATE TABLE tasks (
  id                INTEGER PRIMARY KEY,
  session           TEXT NOT NULL,
  kind              TEXT NOT NULL,
  state             TEXT NOT NULL,
  request_json      TEXT NOT NULL,
  destination       TEXT NOT NULL,
  partial           TEXT NOT NULL,
  durable_offset    INTEGER NOT NULL,
  expected_total    INTEGER,
  etag              TEXT NOT NULL,
  last_modified     TEXT NOT NULL,
  suspend_count     INTEGER NOT NULL,
  created_at        INTEGER NOT NULL,
  resource_deadline INTEGER NOT NULL,
  error_code        TEXT NOT NULL,
  error_message     TEXT NOT NULL,
  http_status       INTEGER NOT NULL,
  result_path       TEXT NOT NULL,
  description       TEXT NOT NULL
);
CREATE INDEX tasks_by_session ON tasks (session);

CREATE TABLE events (
  seq          INTEGER PRIMARY KEY,
  session      TEXT NOT NULL,
  task_id      INTEGER NOT NULL,
  type         TEXT NOT NULL,
  payload_json TEXT NOT NULL
);
CREATE INDEX events_by_session ON events (session);

CREATE TABLE resume_tokens (
  token         TEXT PRIMARY KEY NOT NULL,
  session       TEXT NOT NULL,
  source_task   INTEGER NOT NULL,
  partial       TEXT NOT NULL,
  resume_offset INTEGER NOT NULL,
  etag          TEXT NOT NULL,
  last_modified TEXT NOT NULL,
  request_json  TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  used          INTEGER NOT NULL
);
CREATE INDEX resume_tokens_by_session ON resume_tokens (session);

-- No foreign keys to sessions: ferryd may store a task (and its events) for a session that has no
-- row yet (ferryctl submitting to a session no client has attached), and losing that task would be
-- worse than an orphan. deleteSession removes the children explicitly.

-- Ids and seqs are never handed out twice, even after the newest row is deleted (also by
-- deleteSession): the high-water marks survive in meta.
CREATE TRIGGER tasks_keep_max_id AFTER DELETE ON tasks BEGIN
  UPDATE meta SET value = max(value, OLD.id) WHERE name = 'max_task_id';
END;
CREATE TRIGGER events_keep_max_seq AFTER DELETE ON events BEGIN
  UPDATE meta SET value = max(value, OLD.seq) WHERE name = 'max_event_seq';
END;
)sql",
    // 1 -> 2: uploads. What only an upload has (its body source, the resumable upload's URL and
    // confirmed offset, where the server's answer goes) as one JSON document; '' for downloads.
    R"sql(
ALTER TABLE tasks ADD COLUMN upload_json TEXT NOT NULL DEFAULT '';
)sql",
    // 2 -> 3: relaunch. Each session's background refresh schedule and launch back-off (unix ms),
    // so that a restart neither forgets a due refresh nor forgives a failing launch command.
    R"sql(
CREATE TABLE launch_schedules (
  session         TEXT PRIMARY KEY NOT NULL,
  next_refresh_at INTEGER NOT NULL,
  last_refresh_at INTEGER NOT NULL,
  last_launch_at  INTEGER NOT NULL,
  failures        INTEGER NOT NULL,
  launches        INTEGER NOT NULL
);
)sql",
    // 3 -> 4: segmented downloads. The byte ranges of the partial file that are durable
    // ("begin:next:end,...", model/segments.hpp), with durable_offset their sum; '' when the
    // durable bytes are the file's first durable_offset.
    R"sql(
ALTER TABLE tasks ADD COLUMN segments TEXT NOT NULL DEFAULT '';
ALTER TABLE resume_tokens ADD COLUMN segments TEXT NOT NULL DEFAULT '';
)sql",
    // 4 -> 5: download groups. A group's row (its state, and once ended its outcome as JSON:
    // error and failed members) and each member task's group id (0: none). A group's id comes
    // from the task id sequence, so the high-water mark counts groups too.
    R"sql(
CREATE TABLE task_groups (
  id           INTEGER PRIMARY KEY,
  session      TEXT NOT NULL,
  name         TEXT NOT NULL,
  description  TEXT NOT NULL,
  state        TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  outcome_json TEXT NOT NULL
);
ALTER TABLE tasks ADD COLUMN group_id INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER task_groups_keep_max_id AFTER DELETE ON task_groups BEGIN
  UPDATE meta SET value = max(value, OLD.id) WHERE name = 'max_task_id';
END;
)sql",
};

constexpr std::array<std::string_view, 7> kTables = {"meta", "sessions", "tasks", "events",
                                                     "resume_tokens", "launch_schedules", "task_groups"};

std::string where(const Database& db) { return "state database " + db.path().string(); }

Error notFerry(const Database& db, std::string_view why) {
  return Error(errc::io, where(db) + " is not a Ferry state database (" + std::string(why) +
                             "); move it aside or point ferryd at another state directory.");
}

// The first read of the file: a garbage file fails here with SQLITE_NOTADB.
Result<void> checkIdentity(Database& db) {
  auto app_id = db.queryInt("PRAGMA application_id", "read its header");
  if (!app_id) {
    if ((db.lastErrorCode() & 0xff) == SQLITE_NOTADB) {
      return tl::unexpected(notFerry(db, "SQLite says: file is not a database"));
    }
    return tl::unexpected(app_id.error());
  }
  auto version = db.queryInt("PRAGMA user_version", "read its schema version");
  if (!version) return tl::unexpected(version.error());
  auto objects = db.queryInt("SELECT count(*) FROM sqlite_master", "list its tables");
  if (!objects) return tl::unexpected(objects.error());

  const bool empty = *app_id == 0 && *version == 0 && *objects == 0;
  if (empty) return {};
  if (*app_id != kApplicationId) {
    return tl::unexpected(notFerry(db, "it is a SQLite database of another program"));
  }
  if (*version > kVersion) {
    return tl::unexpected(Error(
        errc::version_mismatch,
        where(db) + " is from a newer ferryd (schema " + std::to_string(*version) +
            ", this one knows " + std::to_string(kVersion) +
            "); upgrade ferryd or move the state directory aside."));
  }
  return {};
}

Result<void> quickCheck(Database& db) {
  auto stmt = db.prepare("PRAGMA quick_check(5)");
  if (!stmt) return tl::unexpected(stmt.error());
  std::string problems;
  for (;;) {
    auto row = stmt->step("check its integrity");
    if (!row) {
      return tl::unexpected(Error(errc::io, where(db) + " is damaged (" + row.error().message +
                                                 "); move it aside and restart ferryd, which "
                                                 "starts again with an empty state."));
    }
    if (!*row) break;
    std::string line = stmt->columnText(0);
    if (line == "ok") continue;
    std::replace(line.begin(), line.end(), '\n', ' ');  // one sentence, one line in the log
    problems += (problems.empty() ? "" : "; ") + line;
  }
  if (problems.empty()) return {};
  return tl::unexpected(Error(errc::io, where(db) + " is damaged (quick_check: " + problems +
                                             "); move it aside and restart ferryd, which starts "
                                             "again with an empty state."));
}

Result<void> configure(Database& db) {
  auto mode = db.queryText("PRAGMA journal_mode=WAL", "switch it to WAL mode");
  if (!mode) return tl::unexpected(mode.error());
  if (*mode != "wal") {
    return tl::unexpected(makeError(errc::io, db.path(), "switch it to WAL mode",
                                    "the file system kept journal mode '" + *mode +
                                        "' (WAL needs shared memory; network file systems lack it)"));
  }
  // journal_size_limit: after a burst the checkpointed WAL is cut back instead of staying large.
  return db.exec("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA journal_size_limit=4194304",
                 "configure it");
}

Result<void> applyMigrations(Database& db) {
  // Re-read inside the write lock: another process may have migrated since checkIdentity.
  auto version = db.queryInt("PRAGMA user_version", "read its schema version");
  if (!version) return tl::unexpected(version.error());
  if (*version > kVersion) return checkIdentity(db);
  for (auto v = *version; v < kVersion; ++v) {
    auto step = db.exec(kMigrations[static_cast<std::size_t>(v)],
                        "migrate it from schema " + std::to_string(v) + " to " + std::to_string(v + 1));
    if (!step) return step;
  }
  if (*version == kVersion) return {};
  return db.exec("PRAGMA application_id=" + std::to_string(kApplicationId) +
                     "; PRAGMA user_version=" + std::to_string(kVersion),
                 "record its schema version");
}

Result<void> migrate(Database& db) {
  auto begun = db.exec("BEGIN IMMEDIATE", "start the schema migration");
  if (!begun) return begun;
  auto applied = applyMigrations(db);
  if (!applied) {
    db.exec("ROLLBACK", "roll back the schema migration");
    return applied;
  }
  return db.exec("COMMIT", "commit the schema migration");
}

Result<void> checkTables(Database& db) {
  auto stmt = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1");
  if (!stmt) return tl::unexpected(stmt.error());
  for (auto table : kTables) {
    stmt->bind(1, table);
    auto row = stmt->step("look for its tables");
    if (!row) return tl::unexpected(row.error());
    const bool present = *row && stmt->columnInt(0) == 1;
    stmt->reset();
    if (!present) {
      return tl::unexpected(Error(errc::io, where(db) + " is damaged (table '" + std::string(table) +
                                                 "' is missing); move it aside and restart ferryd."));
    }
  }
  return {};
}

}  // namespace

Result<void> prepare(Database& db) {
  // Wait for a checkpointing or starting peer instead of failing at once.
  sqlite3_busy_timeout(db.handle(), 5000);
  if (auto r = checkIdentity(db); !r) return r;
  if (auto r = quickCheck(db); !r) return r;
  if (auto r = configure(db); !r) return r;
  if (auto r = migrate(db); !r) return r;
  return checkTables(db);
}

}  // namespace ferry::store::schema
