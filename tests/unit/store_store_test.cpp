// The Store on real SQLite files: records round-trip, offsets, the outbox, cascades and the
// monotonic high-water marks.

#include <gtest/gtest.h>

#include <sqlite3.h>

#include "store/schema.hpp"
#include "store/store.hpp"
#include "support/fixtures.hpp"
#include "support/store_helpers.hpp"

using namespace ferry;
using namespace ferry::store;
using ferry::test::openStore;

namespace {

// Runs `body` in one transaction, as the Writer would.
template <class F>
void inTransaction(Store& store, F body) {
  ASSERT_TRUE(store.begin(true));
  body();
  auto committed = store.commit();
  ASSERT_TRUE(committed) << committed.error().describe();
}

SessionRow session(const std::string& id) {
  return SessionRow{id, R"({"identifier":")" + id + R"("})", 1700000000};
}

TaskRow task(std::uint64_t id, const std::string& session_id) {
  TaskRow t;
  t.id = id;
  t.session = session_id;
  t.kind = "download";
  t.state = "running";
  t.request_json = R"({"url":"https://example.com/f)" + std::to_string(id) + R"("})";
  t.destination = "/home/u/Downloads/f" + std::to_string(id);
  t.partial = "partial/" + std::to_string(id);
  t.durable_offset = 4096 * id;
  t.expected_total = 1'000'000'000'000ULL;
  t.etag = "\"abc\"";
  t.last_modified = "Wed, 21 Oct 2015 07:28:00 GMT";
  t.suspend_count = 2;
  t.created_at = 1700000001;
  t.resource_deadline = 1700600001;
  t.error_code = "network";
  t.error_message = "connection reset; ferryd retries";
  t.http_status = 206;
  t.result_path = "delivered/x";
  t.description = "naïve – ünïcode \xF0\x9F\x9A\xA2";
  t.upload_json = R"({"body":{"file":"/home/u/movie.mp4"}})";
  return t;
}

EventRow event(std::uint64_t seq, const std::string& session_id, std::uint64_t task_id) {
  return EventRow{seq, session_id, task_id, "didWriteData",
                  R"({"bytesWritten":)" + std::to_string(seq) + "}"};
}

ResumeTokenRow token(const std::string& value, const std::string& session_id) {
  ResumeTokenRow r;
  r.token = value;
  r.session = session_id;
  r.source_task = 3;
  r.partial = "partial/3";
  r.offset = 123456789;
  r.etag = "\"e\"";
  r.last_modified = "Thu, 01 Jan 1970 00:00:00 GMT";
  r.request_json = R"({"url":"https://example.com/a"})";
  r.created_at = 1700000123;
  r.used = false;
  return r;
}

void expectSame(const TaskRow& a, const TaskRow& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.session, b.session);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.request_json, b.request_json);
  EXPECT_EQ(a.destination, b.destination);
  EXPECT_EQ(a.partial, b.partial);
  EXPECT_EQ(a.durable_offset, b.durable_offset);
  EXPECT_EQ(a.expected_total, b.expected_total);
  EXPECT_EQ(a.etag, b.etag);
  EXPECT_EQ(a.last_modified, b.last_modified);
  EXPECT_EQ(a.suspend_count, b.suspend_count);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.resource_deadline, b.resource_deadline);
  EXPECT_EQ(a.error_code, b.error_code);
  EXPECT_EQ(a.error_message, b.error_message);
  EXPECT_EQ(a.http_status, b.http_status);
  EXPECT_EQ(a.result_path, b.result_path);
  EXPECT_EQ(a.description, b.description);
}

Snapshot loadOrFail(Store& store) {
  auto snap = store.load();
  EXPECT_TRUE(snap) << (snap ? "" : snap.error().describe());
  return snap ? std::move(*snap) : Snapshot{};
}

}  // namespace

TEST(Store, FreshDatabaseLoadsEmpty) {
  test::TempDir dir;
  auto store = openStore(dir / "state.db");
  ASSERT_TRUE(store);
  auto snap = loadOrFail(*store);
  EXPECT_TRUE(snap.sessions.empty());
  EXPECT_TRUE(snap.tasks.empty());
  EXPECT_TRUE(snap.events.empty());
  EXPECT_TRUE(snap.resume_tokens.empty());
  EXPECT_EQ(snap.max_task_id, 0u);
  EXPECT_EQ(snap.max_event_seq, 0u);
  EXPECT_TRUE(std::filesystem::exists(dir / "state.db"));
}

TEST(Store, EveryRecordTypeRoundTripsThroughAReopen) {
  test::TempDir dir;
  TaskRow full = task(7, "s1");
  TaskRow sparse = task(3, "s1");
  sparse.expected_total.reset();
  sparse.etag.clear();
  sparse.description.clear();
  ResumeTokenRow tok = token("deadbeef", "s1");
  {
    auto store = openStore(dir / "state.db");
    ASSERT_TRUE(store);
    inTransaction(*store, [&] {
      ASSERT_TRUE(store->upsertSession(session("s1")));
      ASSERT_TRUE(store->upsertTask(full));
      ASSERT_TRUE(store->upsertTask(sparse));
      ASSERT_TRUE(store->appendEvent(event(1, "s1", 7)));
      ASSERT_TRUE(store->putResumeToken(tok));
    });
  }
  auto store = openStore(dir / "state.db");
  ASSERT_TRUE(store);
  auto snap = loadOrFail(*store);
  ASSERT_EQ(snap.sessions.size(), 1u);
  EXPECT_EQ(snap.sessions[0].id, "s1");
  EXPECT_EQ(snap.sessions[0].configuration_json, session("s1").configuration_json);
  EXPECT_EQ(snap.sessions[0].created_at, 1700000000);
  ASSERT_EQ(snap.tasks.size(), 2u);
  expectSame(snap.tasks[0], sparse);  // ordered by id
  expectSame(snap.tasks[1], full);
  ASSERT_EQ(snap.events.size(), 1u);
  EXPECT_EQ(snap.events[0].seq, 1u);
  EXPECT_EQ(snap.events[0].session, "s1");
  EXPECT_EQ(snap.events[0].task_id, 7u);
  EXPECT_EQ(snap.events[0].type, "didWriteData");
  EXPECT_EQ(snap.events[0].payload_json, event(1, "s1", 7).payload_json);
  ASSERT_EQ(snap.resume_tokens.size(), 1u);
  const auto& t = snap.resume_tokens[0];
  EXPECT_EQ(t.token, tok.token);
  EXPECT_EQ(t.session, tok.session);
  EXPECT_EQ(t.source_task, tok.source_task);
  EXPECT_EQ(t.partial, tok.partial);
  EXPECT_EQ(t.offset, tok.offset);
  EXPECT_EQ(t.etag, tok.etag);
  EXPECT_EQ(t.last_modified, tok.last_modified);
  EXPECT_EQ(t.request_json, tok.request_json);
  EXPECT_EQ(t.created_at, tok.created_at);
  EXPECT_FALSE(t.used);
  EXPECT_EQ(snap.max_task_id, 7u);
  EXPECT_EQ(snap.max_event_seq, 1u);
}

TEST(Store, UpsertReplacesFieldsWithoutDroppingChildren) {
  test::TempDir dir;
  auto store = openStore(dir / "state.db");
  ASSERT_TRUE(store);
  inTransaction(*store, [&] {
    ASSERT_TRUE(store->upsertSession(session("s1")));
    ASSERT_TRUE(store->upsertTask(task(1, "s1")));
    ASSERT_TRUE(store->appendEvent(event(1, "s1", 1)));
  });
  SessionRow changed = session("s1");
  changed.configuration_json = R"({"changed":true})";
  TaskRow done = task(1, "s1");
  done.state = "completed";
  done.expected_total.reset();
  inTransaction(*store, [&] {
    ASSERT_TRUE(store->upsertSession(changed));
    ASSERT_TRUE(store->upsertTask(done));
  });
  auto snap = loadOrFail(*store);
  ASSERT_EQ(snap.sessions.size(), 1u);
  EXPECT_EQ(snap.sessions[0].configuration_json, changed.configuration_json);
  ASSERT_EQ(snap.tasks.size(), 1u);
  expectSame(snap.tasks[0], done);
  EXPECT_EQ(snap.events.size(), 1u) << "re-storing a session must not cascade to its events";
}

TEST(Store, UpdateTaskOffsetChangesOnlyOffsetAndValidators) {
  test::TempDir dir;
  auto store = openStore(dir / "state.db");
  ASSERT_TRUE(store);
  TaskRow t = task(5, "s1");
  inTransaction(*store, [&] {
    ASSERT_TRUE(store->upsertSession(session("s1")));
    ASSERT_TRUE(store->upsertTask(t));
  });
  inTransaction(*store, [&] {
    ASSERT_TRUE(store->updateTaskOffset(5, 99999, std::nullopt, "\"new\"", "Fri, 02 Jan 2026 00:00:00 GMT"));
  });
  auto snap = loadOrFail(*store);
  ASSERT_EQ(snap.tasks.size(), 1u);
  TaskRow expected = t;
  expected.durable_offset = 99999;
  expected.expected_total.reset();
  expected.etag = "\"new\"";
  expected.last_modified = "Fri, 02 Jan 2026 00:00:00 GMT";
  expectSame(snap.tasks[0], expected);

  inTransaction(*store, [&] { ASSERT_TRUE(store->updateTaskOffset(5, 100000, 5000000, "", "")); });
  snap = loadOrFail(*store);
  EXPECT_EQ(snap.tasks[0].durable_offset, 100000u);
  EXPECT_EQ(snap.tasks[0].expected_total, std::optional<std::uint64_t>(5000000));
}

TEST(Store, UpdateTaskOffsetOfUnknownTaskIsNotFound) {
  test::TempDir dir;
  auto store = openStore(dir / "state.db");
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->begin(false));
  auto r = store->updateTaskOffset(42, 1, std::nullopt, "", "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::not_found);
  EXPECT_NE(r.error().message.find("task 42"), std::string::npos) << r.error().message;
  store->rollback();
}

TEST(Store, EventsComeBackInSeqOrderAndDeleteEventRemovesOne) {
  test::TempDir dir;
  auto store = openStore(dir / "state.db");
  ASSERT_TRUE(store);
  inTransaction(*store, [&] {
    ASSERT_TRUE(store->upsertSession(session("a")));
    ASSERT_TRUE(store->upsertSession(session("b")));
    for (std::uint64_t seq : {5, 1, 9, 3, 7, 2}) {
      ASSERT_TRUE(store->appendEvent(event(seq, seq % 2 ? "a" : "b", 1)));
    }
  });
  inTransaction(*store, [&] {
    ASSERT_TRUE(store->deleteEvent(3));
    ASSERT_TRUE(store->deleteEvent(3)) << "acknowledging twice is harmless";
  });
  auto snap = loadOrFail(*store);
  std::vector<std::uint64_t> seqs;
  for (const auto& e : snap.events) seqs.push_back(e.seq);
  EXPECT_EQ(seqs, (std::vector<std::uint64_t>{1, 2, 5, 7, 9}));
  EXPECT_EQ(snap.max_event_seq, 9u);
}

TEST(Store, DuplicateEventSeqIsRefused) {
  test::TempDir dir;
  auto store = openStore(dir / "state.db");
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->begin(false));
  ASSERT_TRUE(store->upsertSession(session("a")));
  ASSERT_TRUE(store->appendEvent(event(1, "a", 1)));
  auto r = store->appendEvent(event(1, "a", 1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::invalid_argument);
  store->rollback();
}

TEST(Store, TaskOfSessionWithoutRowIsKeptAndDeletedWithIt) {
  // ferryctl may submit to a session no client ever attached: the task must not be lost.
  test::TempDir dir;
  auto store = openStore(dir / "state.db");
  ASSERT_TRUE(store);
  inTransaction(*store, [&] {
    ASSERT_TRUE(store->upsertTask(task(1, "cli")));
    ASSERT_TRUE(store->appendEvent(event(1, "cli", 1)));
    ASSERT_TRUE(store->putResumeToken(token("t", "cli")));
  });
  auto snap = loadOrFail(*store);
  EXPECT_TRUE(snap.sessions.empty());
  EXPECT_EQ(snap.tasks.size(), 1u);
  inTransaction(*store, [&] { ASSERT_TRUE(store->deleteSession("cli")); });
  snap = loadOrFail(*store);
  EXPECT_TRUE(snap.tasks.empty());
  EXPECT_TRUE(snap.events.empty());
  EXPECT_TRUE(snap.resume_tokens.empty());
}

TEST(Store, DeleteSessionOutsideATransactionIsAtomicToo) {
  test::TempDir dir;
  auto store = openStore(dir / "state.db");
  ASSERT_TRUE(store);
  inTransaction(*store, [&] {
    ASSERT_TRUE(store->upsertSession(session("s")));
    ASSERT_TRUE(store->upsertTask(task(1, "s")));
  });
  ASSERT_TRUE(store->deleteSession("s"));  // autocommit: its own savepoint is the transaction
  EXPECT_FALSE(store->inTransaction());
  auto snap = loadOrFail(*store);
  EXPECT_TRUE(snap.sessions.empty());
  EXPECT_TRUE(snap.tasks.empty());
}

TEST(Store, DeleteSessionCascadesToItsTasksEventsAndTokensOnly) {
  test::TempDir dir;
  auto store = openStore(dir / "state.db");
  ASSERT_TRUE(store);
  inTransaction(*store, [&] {
    for (const char* s : {"gone", "kept"}) ASSERT_TRUE(store->upsertSession(session(s)));
    ASSERT_TRUE(store->upsertTask(task(1, "gone")));
    ASSERT_TRUE(store->upsertTask(task(2, "kept")));
    ASSERT_TRUE(store->upsertTask(task(3, "gone")));
    ASSERT_TRUE(store->appendEvent(event(1, "gone", 1)));
    ASSERT_TRUE(store->appendEvent(event(2, "kept", 2)));
    ASSERT_TRUE(store->appendEvent(event(3, "gone", 3)));
    ASSERT_TRUE(store->putResumeToken(token("t-gone", "gone")));
    ASSERT_TRUE(store->putResumeToken(token("t-kept", "kept")));
  });
  inTransaction(*store, [&] { ASSERT_TRUE(store->deleteSession("gone")); });
  auto snap = loadOrFail(*store);
  ASSERT_EQ(snap.sessions.size(), 1u);
  EXPECT_EQ(snap.sessions[0].id, "kept");
  ASSERT_EQ(snap.tasks.size(), 1u);
  EXPECT_EQ(snap.tasks[0].id, 2u);
  ASSERT_EQ(snap.events.size(), 1u);
  EXPECT_EQ(snap.events[0].seq, 2u);
  ASSERT_EQ(snap.resume_tokens.size(), 1u);
  EXPECT_EQ(snap.resume_tokens[0].token, "t-kept");
  // The deletes went through the delete triggers: ids and seqs of the deleted rows stay used.
  EXPECT_EQ(snap.max_task_id, 3u);
  EXPECT_EQ(snap.max_event_seq, 3u);
}

TEST(Store, MaxTaskIdAndEventSeqStayMonotonicAfterDeletesAndReopen) {
  test::TempDir dir;
  {
    auto store = openStore(dir / "state.db");
    ASSERT_TRUE(store);
    inTransaction(*store, [&] {
      ASSERT_TRUE(store->upsertSession(session("s")));
      ASSERT_TRUE(store->upsertTask(task(10, "s")));
      ASSERT_TRUE(store->upsertTask(task(11, "s")));
      ASSERT_TRUE(store->appendEvent(event(20, "s", 11)));
      ASSERT_TRUE(store->appendEvent(event(21, "s", 11)));
    });
    inTransaction(*store, [&] {
      ASSERT_TRUE(store->deleteTask(11));
      ASSERT_TRUE(store->deleteTask(10));
      ASSERT_TRUE(store->deleteEvent(21));
      ASSERT_TRUE(store->deleteEvent(20));
      // An id handed out for a task that was never stored (refused at submit, say).
      ASSERT_TRUE(store->noteTaskId(15));
      ASSERT_TRUE(store->noteTaskId(12)) << "a lower id never lowers the mark";
    });
  }
  auto store = openStore(dir / "state.db");
  ASSERT_TRUE(store);
  auto snap = loadOrFail(*store);
  EXPECT_TRUE(snap.tasks.empty());
  EXPECT_TRUE(snap.events.empty());
  EXPECT_EQ(snap.max_task_id, 15u);
  EXPECT_EQ(snap.max_event_seq, 21u);
}

TEST(Store, ResumeTokensAreMarkedUsedAndDeleted) {
  test::TempDir dir;
  auto store = openStore(dir / "state.db");
  ASSERT_TRUE(store);
  inTransaction(*store, [&] {
    ASSERT_TRUE(store->upsertSession(session("s")));
    ASSERT_TRUE(store->putResumeToken(token("aa", "s")));
    ASSERT_TRUE(store->putResumeToken(token("bb", "s")));
  });
  inTransaction(*store, [&] {
    ASSERT_TRUE(store->markResumeTokenUsed("aa"));
    ASSERT_TRUE(store->deleteResumeToken("bb"));
    auto missing = store->markResumeTokenUsed("cc");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, errc::not_found);
  });
  auto snap = loadOrFail(*store);
  ASSERT_EQ(snap.resume_tokens.size(), 1u);
  EXPECT_EQ(snap.resume_tokens[0].token, "aa");
  EXPECT_TRUE(snap.resume_tokens[0].used);
}

TEST(Store, SavepointRollbackUndoesOnlyItsUnitOfWork) {
  test::TempDir dir;
  auto store = openStore(dir / "state.db");
  ASSERT_TRUE(store);
  inTransaction(*store, [&] {
    ASSERT_TRUE(store->upsertSession(session("s")));
    ASSERT_TRUE(store->savepoint());
    ASSERT_TRUE(store->upsertTask(task(1, "s")));
    ASSERT_TRUE(store->releaseSavepoint());
    ASSERT_TRUE(store->savepoint());
    ASSERT_TRUE(store->upsertTask(task(2, "s")));
    store->rollbackToSavepoint();
    EXPECT_TRUE(store->inTransaction());
    ASSERT_TRUE(store->savepoint());
    ASSERT_TRUE(store->upsertTask(task(3, "s")));
    ASSERT_TRUE(store->releaseSavepoint());
  });
  auto snap = loadOrFail(*store);
  ASSERT_EQ(snap.tasks.size(), 2u);
  EXPECT_EQ(snap.tasks[0].id, 1u);
  EXPECT_EQ(snap.tasks[1].id, 3u);
}

TEST(Store, RollbackDiscardsTheTransactionAndBeginTwiceIsABug) {
  test::TempDir dir;
  auto store = openStore(dir / "state.db");
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->begin(false));
  ASSERT_TRUE(store->upsertSession(session("s")));
  auto twice = store->begin(true);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, errc::internal);
  store->rollback();
  EXPECT_FALSE(store->inTransaction());
  EXPECT_TRUE(loadOrFail(*store).sessions.empty());
}

TEST(Store, AlternatingSyncLevelsEachCommitOnce) {
  test::TempDir dir;
  auto store = openStore(dir / "state.db");
  ASSERT_TRUE(store);
  // PRAGMA synchronous is per connection and cannot be read from outside; what can be checked is
  // that switching it between transactions works and each transaction is one real SQLite commit.
  auto before = store->commitCount();
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(store->begin(i % 2 == 0));
    ASSERT_TRUE(store->upsertSession(session("s" + std::to_string(i))));
    ASSERT_TRUE(store->commit());
  }
  EXPECT_EQ(store->commitCount() - before, 4u);
  EXPECT_EQ(loadOrFail(*store).sessions.size(), 4u);
}

TEST(Store, DatabaseIsInWalModeWithOurSchemaVersion) {
  test::TempDir dir;
  { ASSERT_TRUE(openStore(dir / "state.db")); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "state.db").c_str(), &db), SQLITE_OK);
  auto pragma = [&](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    std::string value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return value;
  };
  EXPECT_EQ(pragma("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(pragma("PRAGMA user_version"), std::to_string(schema::kVersion));
  EXPECT_EQ(pragma("PRAGMA application_id"), std::to_string(0x46455259));
  sqlite3_close(db);
}

// A state directory from the first release (schema 1, no upload column) opens, migrates, and keeps
// its tasks; they read back as downloads without upload data.
TEST(Store, SchemaOneDatabaseMigratesAndKeepsItsTasks) {
  test::TempDir dir;
  const auto path = dir / "state.db";
  {
    auto store = openStore(path);
    ASSERT_TRUE(store);
    TaskRow t = task(5, "s1");
    t.upload_json.clear();
    inTransaction(*store, [&] { ASSERT_TRUE(store->upsertTask(t)); });
  }
  // Back to what schema 1 looked like on disk.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, "DROP TRIGGER task_groups_keep_max_id; DROP TABLE task_groups; ALTER TABLE tasks DROP COLUMN group_id; "
                         "ALTER TABLE tasks DROP COLUMN segments; ALTER TABLE resume_tokens DROP COLUMN segments; "
                         "ALTER TABLE tasks DROP COLUMN upload_json; DROP TABLE launch_schedules; PRAGMA user_version = 1;", nullptr, nullptr, &err),
            SQLITE_OK)
      << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);

  auto store = openStore(path);
  ASSERT_TRUE(store);
  auto snapshot = loadOrFail(*store);
  ASSERT_EQ(snapshot.tasks.size(), 1u);
  EXPECT_EQ(snapshot.tasks[0].id, 5u);
  EXPECT_EQ(snapshot.tasks[0].description, task(5, "s1").description);
  EXPECT_EQ(snapshot.tasks[0].upload_json, "");
  TaskRow upload = task(6, "s1");
  upload.kind = "upload";
  inTransaction(*store, [&] { ASSERT_TRUE(store->upsertTask(upload)); });
  EXPECT_EQ(loadOrFail(*store).tasks.back().upload_json, upload.upload_json);
}

// A segmented download's durable ranges go with its offset, and with its resume token.
TEST(Store, SegmentsRoundTripWithTheOffsetAndTheResumeToken) {
  test::TempDir dir;
  auto store = openStore(dir / "state.db");
  ASSERT_TRUE(store);
  TaskRow t = task(7, "s1");
  inTransaction(*store, [&] { ASSERT_TRUE(store->upsertTask(t)); });
  inTransaction(*store, [&] { ASSERT_TRUE(store->updateTaskOffset(7, 30, 100, "\"e\"", "", "0:10:50,50:70:100")); });
  EXPECT_EQ(loadOrFail(*store).tasks.at(0).segments, "0:10:50,50:70:100");
  EXPECT_EQ(loadOrFail(*store).tasks.at(0).durable_offset, 30u);
  ResumeTokenRow token;
  token.token = "abc";
  token.session = "s1";
  token.source_task = 7;
  token.partial = "resume/abc.part";
  token.request_json = t.request_json;
  token.segments = "0:50:50,50:60:100";
  inTransaction(*store, [&] { ASSERT_TRUE(store->putResumeToken(token)); });
  EXPECT_EQ(loadOrFail(*store).resume_tokens.at(0).segments, "0:50:50,50:60:100");
}

TEST(Store, LaunchSchedulesRoundTripAndGoWithTheirSession) {
  test::TempDir dir;
  LaunchScheduleRow row{"s1", 1700000004000, 1700000000000, 1700000000500, 2, 7};
  {
    auto store = openStore(dir / "state.db");
    ASSERT_TRUE(store);
    inTransaction(*store, [&] {
      ASSERT_TRUE(store->upsertSession(session("s1")));
      ASSERT_TRUE(store->upsertLaunchSchedule(row));
      ASSERT_TRUE(store->upsertLaunchSchedule(LaunchScheduleRow{"s2", 0, 0, 1, 0, 1}));
    });
    row.failures = 0;  // an upsert replaces
    inTransaction(*store, [&] { ASSERT_TRUE(store->upsertLaunchSchedule(row)); });
  }
  auto store = openStore(dir / "state.db");
  ASSERT_TRUE(store);
  auto snap = loadOrFail(*store);
  ASSERT_EQ(snap.launch_schedules.size(), 2u);
  const auto& back = snap.launch_schedules[0];
  EXPECT_EQ(back.session, "s1");
  EXPECT_EQ(back.next_refresh_at, 1700000004000);
  EXPECT_EQ(back.last_refresh_at, 1700000000000);
  EXPECT_EQ(back.last_launch_at, 1700000000500);
  EXPECT_EQ(back.failures, 0);
  EXPECT_EQ(back.launches, 7);
  inTransaction(*store, [&] {
    ASSERT_TRUE(store->deleteSession("s1"));
    ASSERT_TRUE(store->deleteLaunchSchedule("s2"));
  });
  EXPECT_TRUE(loadOrFail(*store).launch_schedules.empty());
}

// A state directory of schema 2 (before relaunch) migrates to 3: its sessions and tasks stay, and
// launch schedules can be stored.
TEST(Store, SchemaTwoDatabaseMigratesToLaunchSchedules) {
  test::TempDir dir;
  const auto path = dir / "state.db";
  {
    auto store = openStore(path);
    ASSERT_TRUE(store);
    inTransaction(*store, [&] {
      ASSERT_TRUE(store->upsertSession(session("s1")));
      ASSERT_TRUE(store->upsertTask(task(3, "s1")));
    });
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, "DROP TRIGGER task_groups_keep_max_id; DROP TABLE task_groups; ALTER TABLE tasks DROP COLUMN group_id; "
                         "ALTER TABLE tasks DROP COLUMN segments; ALTER TABLE resume_tokens DROP COLUMN segments; DROP TABLE launch_schedules; PRAGMA user_version = 2;", nullptr, nullptr, &err), SQLITE_OK)
      << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);

  auto store = openStore(path);
  ASSERT_TRUE(store);
  auto snap = loadOrFail(*store);
  ASSERT_EQ(snap.sessions.size(), 1u);
  ASSERT_EQ(snap.tasks.size(), 1u);
  EXPECT_EQ(snap.tasks[0].id, 3u);
  EXPECT_TRUE(snap.launch_schedules.empty());
  inTransaction(*store, [&] { ASSERT_TRUE(store->upsertLaunchSchedule(LaunchScheduleRow{"s1", 5, 0, 0, 0, 0})); });
  ASSERT_EQ(loadOrFail(*store).launch_schedules.size(), 1u);
}

// Download groups (schema 5): a group's row and its members' group_id round-trip; a group's id
// counts in the task id mark also once deleted; deleteSession takes the session's groups.
TEST(Store, GroupsRoundTripKeepTheIdMarkAndGoWithTheirSession) {
  test::TempDir dir;
  auto store = openStore(dir / "state.db");
  ASSERT_TRUE(store);
  GroupRow g{40, "s1", "photos", "holiday", "completed", 1700000000, R"({"id":40})"};
  GroupRow other{41, "s2", "docs", "", "running", 1700000001, ""};
  TaskRow member = task(42, "s1");
  member.group_id = 40;
  inTransaction(*store, [&] {
    ASSERT_TRUE(store->upsertGroup(g));
    ASSERT_TRUE(store->upsertGroup(other));
    ASSERT_TRUE(store->upsertTask(member));
  });
  auto snap = loadOrFail(*store);
  ASSERT_EQ(snap.groups.size(), 2u);
  EXPECT_EQ(snap.groups[0].name, "photos");
  EXPECT_EQ(snap.groups[0].description, "holiday");
  EXPECT_EQ(snap.groups[0].state, "completed");
  EXPECT_EQ(snap.groups[0].created_at, 1700000000);
  EXPECT_EQ(snap.groups[0].outcome_json, R"({"id":40})");
  EXPECT_EQ(snap.tasks.at(0).group_id, 40u);
  inTransaction(*store, [&] {
    ASSERT_TRUE(store->deleteTask(42));
    ASSERT_TRUE(store->deleteGroup(41));
    ASSERT_TRUE(store->deleteSession("s1"));
  });
  snap = loadOrFail(*store);
  EXPECT_TRUE(snap.groups.empty());
  EXPECT_EQ(snap.max_task_id, 42u);
  inTransaction(*store, [&] { ASSERT_TRUE(store->upsertGroup(GroupRow{50, "s3", "n", "", "running", 0, ""})); });
  inTransaction(*store, [&] { ASSERT_TRUE(store->deleteGroup(50)); });
  EXPECT_EQ(loadOrFail(*store).max_task_id, 50u) << "a deleted group's id is never handed out again";
}
