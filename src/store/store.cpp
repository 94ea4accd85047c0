#include "store/store.hpp"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <array>
#include <atomic>
#include <string_view>
#include <system_error>
#include <utility>

#include "store/database.hpp"
#include "store/schema.hpp"

namespace ferry::store {
namespace {

// Column lists in the order rows are bound and read; one list per table keeps INSERT and SELECT
// in step.
constexpr std::array<std::string_view, 3> kSessionColumns = {"id", "configuration_json", "created_at"};
constexpr std::array<std::string_view, 22> kTaskColumns = {
    "id",         "session",           "kind",          "state",        "request_json",
    "destination", "partial",          "durable_offset", "expected_total", "etag",
    "last_modified", "suspend_count",  "created_at",    "resource_deadline", "error_code",
    "error_message", "http_status",    "result_path",   "description",  "upload_json",
    "segments",   "group_id"};
constexpr std::array<std::string_view, 7> kGroupColumns = {"id",    "session",    "name",        "description",
                                                           "state", "created_at", "outcome_json"};
constexpr std::array<std::string_view, 5> kEventColumns = {"seq", "session", "task_id", "type",
                                                           "payload_json"};
constexpr std::array<std::string_view, 11> kTokenColumns = {
    "token", "session", "source_task", "partial", "resume_offset",
    "etag",  "last_modified", "request_json", "created_at", "used", "segments"};
constexpr std::array<std::string_view, 6> kLaunchScheduleColumns = {
    "session", "next_refresh_at", "last_refresh_at", "last_launch_at", "failures", "launches"};

template <std::size_t N>
std::string joined(const std::array<std::string_view, N>& columns) {
  std::string out;
  for (auto c : columns) out += (out.empty() ? "" : ", ") + std::string(c);
  return out;
}

// INSERT ... ON CONFLICT DO UPDATE, never INSERT OR REPLACE: REPLACE deletes the old row first,
// which would run the ON DELETE actions of any foreign key a later schema adds.
template <std::size_t N>
std::string upsertSql(std::string_view table, const std::array<std::string_view, N>& columns) {
  std::string values;
  std::string updates;
  for (std::size_t i = 0; i < N; ++i) {
    values += (i ? ", ?" : "?") + std::to_string(i + 1);
    if (i == 0) continue;  // the key
    updates += (updates.empty() ? "" : ", ") + std::string(columns[i]) + " = excluded." +
               std::string(columns[i]);
  }
  return "INSERT INTO " + std::string(table) + " (" + joined(columns) + ") VALUES (" + values +
         ") ON CONFLICT (" + std::string(columns[0]) + ") DO UPDATE SET " + updates;
}

template <std::size_t N>
std::string selectSql(std::string_view table, const std::array<std::string_view, N>& columns,
                      std::string_view order) {
  return "SELECT " + joined(columns) + " FROM " + std::string(table) + " ORDER BY " +
         std::string(order);
}

std::string taskWhat(std::string_view verb, std::uint64_t id) {
  return std::string(verb) + " task " + std::to_string(id);
}

SessionRow sessionFrom(const Statement& s) {
  SessionRow row;
  row.id = s.columnText(0);
  row.configuration_json = s.columnText(1);
  row.created_at = s.columnInt(2);
  return row;
}

TaskRow taskFrom(const Statement& s) {
  TaskRow row;
  row.id = s.columnUint(0);
  row.session = s.columnText(1);
  row.kind = s.columnText(2);
  row.state = s.columnText(3);
  row.request_json = s.columnText(4);
  row.destination = s.columnText(5);
  row.partial = s.columnText(6);
  row.durable_offset = s.columnUint(7);
  row.expected_total = s.columnOptionalUint(8);
  row.etag = s.columnText(9);
  row.last_modified = s.columnText(10);
  row.suspend_count = static_cast<int>(s.columnInt(11));
  row.created_at = s.columnInt(12);
  row.resource_deadline = s.columnInt(13);
  row.error_code = s.columnText(14);
  row.error_message = s.columnText(15);
  row.http_status = static_cast<long>(s.columnInt(16));
  row.result_path = s.columnText(17);
  row.description = s.columnText(18);
  row.upload_json = s.columnText(19);
  row.segments = s.columnText(20);
  row.group_id = s.columnUint(21);
  return row;
}

GroupRow groupFrom(const Statement& s) {
  GroupRow row;
  row.id = s.columnUint(0);
  row.session = s.columnText(1);
  row.name = s.columnText(2);
  row.description = s.columnText(3);
  row.state = s.columnText(4);
  row.created_at = s.columnInt(5);
  row.outcome_json = s.columnText(6);
  return row;
}

EventRow eventFrom(const Statement& s) {
  EventRow row;
  row.seq = s.columnUint(0);
  row.session = s.columnText(1);
  row.task_id = s.columnUint(2);
  row.type = s.columnText(3);
  row.payload_json = s.columnText(4);
  return row;
}

ResumeTokenRow tokenFrom(const Statement& s) {
  ResumeTokenRow row;
  row.token = s.columnText(0);
  row.session = s.columnText(1);
  row.source_task = s.columnUint(2);
  row.partial = s.columnText(3);
  row.offset = s.columnUint(4);
  row.etag = s.columnText(5);
  row.last_modified = s.columnText(6);
  row.request_json = s.columnText(7);
  row.created_at = s.columnInt(8);
  row.used = s.columnInt(9) != 0;
  row.segments = s.columnText(10);
  return row;
}

LaunchScheduleRow launchScheduleFrom(const Statement& s) {
  LaunchScheduleRow row;
  row.session = s.columnText(0);
  row.next_refresh_at = s.columnInt(1);
  row.last_refresh_at = s.columnInt(2);
  row.last_launch_at = s.columnInt(3);
  row.failures = static_cast<int>(s.columnInt(4));
  row.launches = s.columnInt(5);
  return row;
}

template <class Row, class Read>
Result<std::vector<Row>> readAll(Database& db, const std::string& sql, std::string_view what,
                                 Read read) {
  auto stmt = db.prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  std::vector<Row> rows;
  for (;;) {
    auto row = stmt->step(what);
    if (!row) return tl::unexpected(row.error());
    if (!*row) return rows;
    rows.push_back(read(*stmt));
  }
}

// The high-water marks: the meta rows (kept up by delete triggers and noteTaskId) and whatever
// the rows themselves name, so that neither an old meta nor a deleted row can lower them.
constexpr std::string_view kMaxTaskIdSql = R"sql(
SELECT max(coalesce((SELECT value FROM meta WHERE name = 'max_task_id'), 0),
           coalesce((SELECT max(id) FROM tasks), 0),
           coalesce((SELECT max(task_id) FROM events), 0),
           coalesce((SELECT max(source_task) FROM resume_tokens), 0),
           coalesce((SELECT max(id) FROM task_groups), 0)))sql";
constexpr std::string_view kMaxEventSeqSql = R"sql(
SELECT max(coalesce((SELECT value FROM meta WHERE name = 'max_event_seq'), 0),
           coalesce((SELECT max(seq) FROM events), 0)))sql";

Result<void> checkParentDirectory(const std::filesystem::path& db_path) {
  auto parent = db_path.parent_path();
  if (parent.empty()) return {};
  std::error_code ec;
  auto status = std::filesystem::status(parent, ec);
  if (status.type() == std::filesystem::file_type::not_found) {
    return fail(errc::not_found, "state database " + db_path.string() + ": the directory " +
                                     parent.string() +
                                     " does not exist; create the state directory first.");
  }
  if (ec) {
    return fail(errc::io, "state database " + db_path.string() + ": cannot look at " +
                              parent.string() + ": " + ec.message() + ".");
  }
  if (status.type() != std::filesystem::file_type::directory) {
    return fail(errc::io, "state database " + db_path.string() + ": " + parent.string() +
                              " is not a directory; point ferryd at a state directory.");
  }
  // WAL mode creates the -wal and -shm files beside the database, even for an existing one; and
  // SQLite reports a refused create as ENOENT (from its read-only retry), so ask up front.
  if (::access(parent.c_str(), W_OK | X_OK) != 0) {
    const int err = errno;
    return fail(err == EROFS || err == EACCES || err == EPERM ? errc::permission_denied : errc::io,
                "state database " + db_path.string() + ": cannot create files in " +
                    parent.string() + " (" + std::strerror(err) +
                    "); make the state directory writable by the user ferryd runs as.");
  }
  return {};
}

}  // namespace

struct Store::Impl {
  Database db;  // first: destroyed after every statement below
  std::atomic<std::uint64_t> commits{0};  // read by any thread through commitCount()
  std::optional<bool> full_sync;  // the PRAGMA synchronous level last set by begin()

  Statement begin_immediate, commit, rollback, savepoint, release, rollback_to;
  Statement upsert_session, delete_session;
  Statement delete_session_tasks, delete_session_events, delete_session_tokens, delete_session_groups;
  Statement upsert_group, delete_group;
  Statement upsert_launch_schedule, delete_launch_schedule;
  Statement own_savepoint, own_release, own_rollback_to;
  Statement upsert_task, update_offset, delete_task, note_task_id;
  Statement append_event, delete_event;
  Statement put_token, mark_token, delete_token;
  Statement put_meta, delete_meta;

  Result<void> prepareStatements();
  // Runs a change made of several statements all-or-nothing, inside or outside a transaction.
  template <class F>
  Result<void> atomically(F change);
};

template <class F>
Result<void> Store::Impl::atomically(F change) {
  if (auto r = own_savepoint.run("start a change"); !r) return r;
  auto result = change();
  if (result) result = own_release.run("finish a change");
  if (!result && db.inTransaction()) {
    (void)own_rollback_to.run("undo a change");
    (void)own_release.run("drop a change");
  }
  return result;
}

Result<void> Store::Impl::prepareStatements() {
  const std::pair<Statement*, std::string> all[] = {
      {&begin_immediate, "BEGIN IMMEDIATE"},
      {&commit, "COMMIT"},
      {&rollback, "ROLLBACK"},
      {&savepoint, "SAVEPOINT ferry_work"},
      {&release, "RELEASE ferry_work"},
      {&rollback_to, "ROLLBACK TO ferry_work"},
      {&upsert_session, upsertSql("sessions", kSessionColumns)},
      {&delete_session, "DELETE FROM sessions WHERE id = ?1"},
      {&delete_session_tasks, "DELETE FROM tasks WHERE session = ?1"},
      {&delete_session_events, "DELETE FROM events WHERE session = ?1"},
      {&delete_session_tokens, "DELETE FROM resume_tokens WHERE session = ?1"},
      {&delete_session_groups, "DELETE FROM task_groups WHERE session = ?1"},
      {&upsert_group, upsertSql("task_groups", kGroupColumns)},
      {&delete_group, "DELETE FROM task_groups WHERE id = ?1"},
      {&upsert_launch_schedule, upsertSql("launch_schedules", kLaunchScheduleColumns)},
      {&delete_launch_schedule, "DELETE FROM launch_schedules WHERE session = ?1"},
      {&own_savepoint, "SAVEPOINT ferry_store_op"},
      {&own_release, "RELEASE ferry_store_op"},
      {&own_rollback_to, "ROLLBACK TO ferry_store_op"},
      {&upsert_task, upsertSql("tasks", kTaskColumns)},
      {&update_offset,
       "UPDATE tasks SET durable_offset = ?2, expected_total = ?3, etag = ?4, last_modified = ?5, segments = ?6 "
       "WHERE id = ?1"},
      {&delete_task, "DELETE FROM tasks WHERE id = ?1"},
      {&note_task_id, "UPDATE meta SET value = max(value, ?1) WHERE name = 'max_task_id'"},
      {&append_event, "INSERT INTO events (" + joined(kEventColumns) + ") VALUES (?1, ?2, ?3, ?4, ?5)"},
      {&delete_event, "DELETE FROM events WHERE seq = ?1"},
      {&put_token, upsertSql("resume_tokens", kTokenColumns)},
      {&mark_token, "UPDATE resume_tokens SET used = 1 WHERE token = ?1"},
      {&delete_token, "DELETE FROM resume_tokens WHERE token = ?1"},
      {&put_meta, "INSERT INTO meta (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value"},
      {&delete_meta, "DELETE FROM meta WHERE name = ?1"},
  };
  for (const auto& [stmt, sql] : all) {
    auto prepared = db.prepare(sql);
    if (!prepared) return tl::unexpected(prepared.error());
    *stmt = std::move(*prepared);
  }
  return {};
}

namespace {
int countCommit(void* counter) {
  ++*static_cast<std::atomic<std::uint64_t>*>(counter);
  return 0;  // 0: let the commit go ahead
}
}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& db_path) {
  if (auto r = checkParentDirectory(db_path); !r) return tl::unexpected(r.error());
  auto db = Database::open(db_path);
  if (!db) return tl::unexpected(db.error());
  // Request headers (credentials among them) live here: private, also for a store made by an
  // older ferryd with the default mode (SQLite gives its -wal and -shm files the same mode).
  ::chmod(db_path.c_str(), 0600);
  if (auto r = schema::prepare(*db); !r) return tl::unexpected(r.error());

  auto impl = std::make_unique<Impl>();
  impl->db = std::move(*db);
  impl->full_sync = false;  // schema::prepare left synchronous=NORMAL
  if (auto r = impl->prepareStatements(); !r) return tl::unexpected(r.error());
  sqlite3_commit_hook(impl->db.handle(), countCommit, &impl->commits);
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::~Store() {
  if (impl_) sqlite3_commit_hook(impl_->db.handle(), nullptr, nullptr);
}

// ---- load -----------------------------------------------------------------------------------

Result<Snapshot> Store::load() {
  auto& db = impl_->db;
  // One read transaction, so that the snapshot is consistent even with another writer around.
  const bool own_transaction = !db.inTransaction();
  if (own_transaction) {
    if (auto r = db.exec("BEGIN", "start reading it"); !r) return tl::unexpected(r.error());
  }
  auto snapshot = [&]() -> Result<Snapshot> {
    Snapshot snap;
    auto sessions = readAll<SessionRow>(db, selectSql("sessions", kSessionColumns, "created_at, id"),
                                        "read its sessions", sessionFrom);
    if (!sessions) return tl::unexpected(sessions.error());
    snap.sessions = std::move(*sessions);
    auto tasks = readAll<TaskRow>(db, selectSql("tasks", kTaskColumns, "id"), "read its tasks", taskFrom);
    if (!tasks) return tl::unexpected(tasks.error());
    snap.tasks = std::move(*tasks);
    auto events = readAll<EventRow>(db, selectSql("events", kEventColumns, "seq"), "read its events",
                                    eventFrom);
    if (!events) return tl::unexpected(events.error());
    snap.events = std::move(*events);
    auto tokens = readAll<ResumeTokenRow>(db, selectSql("resume_tokens", kTokenColumns, "created_at, token"),
                                          "read its resume tokens", tokenFrom);
    if (!tokens) return tl::unexpected(tokens.error());
    snap.resume_tokens = std::move(*tokens);
    auto schedules = readAll<LaunchScheduleRow>(db, selectSql("launch_schedules", kLaunchScheduleColumns, "session"),
                                                "read its launch schedules", launchScheduleFrom);
    if (!schedules) return tl::unexpected(schedules.error());
    snap.launch_schedules = std::move(*schedules);
    auto groups = readAll<GroupRow>(db, selectSql("task_groups", kGroupColumns, "id"), "read its download groups", groupFrom);
    if (!groups) return tl::unexpected(groups.error());
    snap.groups = std::move(*groups);
    auto max_task = db.queryInt(kMaxTaskIdSql, "read its highest task id");
    if (!max_task) return tl::unexpected(max_task.error());
    snap.max_task_id = static_cast<std::uint64_t>(*max_task);
    auto max_seq = db.queryInt(kMaxEventSeqSql, "read its highest event sequence number");
    if (!max_seq) return tl::unexpected(max_seq.error());
    snap.max_event_seq = static_cast<std::uint64_t>(*max_seq);
    using Setting = std::pair<std::string, std::int64_t>;
    auto meta = readAll<Setting>(db, "SELECT name, value FROM meta WHERE name NOT IN ('max_task_id', 'max_event_seq')",
                                 "read its settings", [](Statement& st) { return Setting{st.columnText(0), st.columnInt(1)}; });
    if (!meta) return tl::unexpected(meta.error());
    snap.meta.insert(meta->begin(), meta->end());
    return snap;
  }();
  if (own_transaction) db.exec("COMMIT", "finish reading it");
  return snapshot;
}

// ---- transactions ---------------------------------------------------------------------------

Result<void> Store::begin(bool full_sync) {
  if (impl_->db.inTransaction()) {
    return fail(errc::internal, "state database " + impl_->db.path().string() +
                                    ": begin() inside an open transaction; this is a bug in ferryd.");
  }
  // PRAGMA synchronous cannot change inside a transaction, so it is set here, and only on change.
  // It is never a cached statement: SQLite applies this pragma when it is *prepared*, so
  // re-running a prepared one does nothing (a unit test caught exactly that).
  if (impl_->full_sync != full_sync) {
    const char* sql = full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
    if (auto r = impl_->db.exec(sql, "set its sync level"); !r) return r;
    impl_->full_sync = full_sync;
  }
  return impl_->begin_immediate.run("start a transaction");
}

Result<void> Store::commit() {
  auto r = impl_->commit.run("commit a transaction");
  if (!r && impl_->db.inTransaction()) rollback();
  return r;
}

void Store::rollback() {
  if (impl_->db.inTransaction()) (void)impl_->rollback.run("roll back a transaction");
}

Result<void> Store::savepoint() { return impl_->savepoint.run("start a unit of work"); }

Result<void> Store::releaseSavepoint() { return impl_->release.run("finish a unit of work"); }

void Store::rollbackToSavepoint() {
  // ROLLBACK TO keeps the savepoint open; RELEASE then drops it. Nothing to undo when SQLite has
  // already rolled back the whole transaction.
  if (!impl_->db.inTransaction()) return;
  (void)impl_->rollback_to.run("undo a unit of work");
  (void)impl_->release.run("drop a unit of work");
}

bool Store::inTransaction() const { return impl_->db.inTransaction(); }

Result<bool> Store::synchronousIsFull() {
  auto level = impl_->db.queryInt("PRAGMA synchronous", "read its sync level");
  if (!level) return tl::unexpected(level.error());
  return *level >= 2;  // 2 = FULL, 3 = EXTRA (stronger still)
}

std::uint64_t Store::commitCount() const { return impl_->commits.load(); }

// ---- sessions -------------------------------------------------------------------------------

Result<void> Store::upsertSession(const SessionRow& row) {
  auto& s = impl_->upsert_session;
  s.bind(1, row.id).bind(2, row.configuration_json).bind(3, row.created_at);
  return s.run("store session '" + row.id + "'");
}

Result<void> Store::deleteSession(const std::string& id) {
  // Children first, explicitly: they may exist without a session row (see the schema).
  const std::string what = "delete session '" + id + "'";
  return impl_->atomically([&]() -> Result<void> {
    for (Statement* s : {&impl_->delete_session_tokens, &impl_->delete_session_events, &impl_->delete_session_tasks,
                         &impl_->delete_session_groups, &impl_->delete_launch_schedule, &impl_->delete_session}) {
      if (auto r = s->bind(1, id).run(what); !r) return r;
    }
    return {};
  });
}

Result<void> Store::upsertLaunchSchedule(const LaunchScheduleRow& row) {
  auto& s = impl_->upsert_launch_schedule;
  s.bind(1, row.session).bind(2, row.next_refresh_at).bind(3, row.last_refresh_at).bind(4, row.last_launch_at);
  s.bind(5, static_cast<std::int64_t>(row.failures)).bind(6, row.launches);
  return s.run("store the launch schedule of session '" + row.session + "'");
}

Result<void> Store::deleteLaunchSchedule(const std::string& session) {
  return impl_->delete_launch_schedule.bind(1, session).run("delete the launch schedule of session '" + session + "'");
}

// ---- tasks ----------------------------------------------------------------------------------

Result<void> Store::upsertTask(const TaskRow& row) {
  auto& s = impl_->upsert_task;
  s.bind(1, row.id).bind(2, row.session).bind(3, row.kind).bind(4, row.state);
  s.bind(5, row.request_json).bind(6, row.destination).bind(7, row.partial);
  s.bind(8, row.durable_offset).bind(9, row.expected_total).bind(10, row.etag);
  s.bind(11, row.last_modified).bind(12, row.suspend_count).bind(13, row.created_at);
  s.bind(14, row.resource_deadline).bind(15, row.error_code).bind(16, row.error_message);
  s.bind(17, static_cast<std::int64_t>(row.http_status)).bind(18, row.result_path);
  s.bind(19, row.description).bind(20, row.upload_json).bind(21, row.segments).bind(22, row.group_id);
  return s.run(taskWhat("store", row.id) + " of session '" + row.session + "'");
}

Result<void> Store::updateTaskOffset(std::uint64_t id, std::uint64_t durable_offset,
                                     std::optional<std::uint64_t> expected_total,
                                     const std::string& etag, const std::string& last_modified,
                                     const std::string& segments) {
  auto& s = impl_->update_offset;
  s.bind(1, id).bind(2, durable_offset).bind(3, expected_total).bind(4, etag).bind(5, last_modified).bind(6, segments);
  if (auto r = s.run(taskWhat("update the offset of", id)); !r) return r;
  if (impl_->db.changes() == 0) {
    return fail(errc::not_found, "state database " + impl_->db.path().string() + ": task " +
                                     std::to_string(id) +
                                     " is not stored, so its offset was not saved; store the task first.");
  }
  return {};
}

Result<void> Store::deleteTask(std::uint64_t id) {
  // The delete trigger keeps the id in meta.max_task_id.
  return impl_->delete_task.bind(1, id).run(taskWhat("delete", id));
}

// ---- download groups ------------------------------------------------------------------------

Result<void> Store::upsertGroup(const GroupRow& row) {
  auto& s = impl_->upsert_group;
  s.bind(1, row.id).bind(2, row.session).bind(3, row.name).bind(4, row.description);
  s.bind(5, row.state).bind(6, row.created_at).bind(7, row.outcome_json);
  return s.run("store group " + std::to_string(row.id) + " of session '" + row.session + "'");
}

Result<void> Store::deleteGroup(std::uint64_t id) {
  // The delete trigger keeps the id in meta.max_task_id.
  return impl_->delete_group.bind(1, id).run("delete group " + std::to_string(id));
}

Result<void> Store::noteTaskId(std::uint64_t id) {
  return impl_->note_task_id.bind(1, id).run("record task id " + std::to_string(id));
}

// ---- events ---------------------------------------------------------------------------------

Result<void> Store::appendEvent(const EventRow& row) {
  auto& s = impl_->append_event;
  s.bind(1, row.seq).bind(2, row.session).bind(3, row.task_id).bind(4, row.type).bind(5, row.payload_json);
  return s.run("append event " + std::to_string(row.seq) + " (" + row.type + ") of session '" +
               row.session + "'");
}

Result<void> Store::deleteEvent(std::uint64_t seq) {
  // The delete trigger keeps the seq in meta.max_event_seq.
  return impl_->delete_event.bind(1, seq).run("delete event " + std::to_string(seq));
}

// ---- resume tokens --------------------------------------------------------------------------

// ---- settings -------------------------------------------------------------------------------

namespace {
Result<void> checkSettingName(const Database& db, const std::string& name) {
  if (name == "max_task_id" || name == "max_event_seq" || name.empty())
    return fail(errc::internal, "state database " + db.path().string() + ": \"" + name +
                                    "\" is not a setting name ferryd may change; this is a bug in ferryd.");
  return {};
}
}  // namespace

Result<void> Store::putMeta(const std::string& name, std::int64_t value) {
  if (auto ok = checkSettingName(impl_->db, name); !ok) return ok;
  return impl_->put_meta.bind(1, name).bind(2, value).run("store setting " + name);
}

Result<void> Store::deleteMeta(const std::string& name) {
  if (auto ok = checkSettingName(impl_->db, name); !ok) return ok;
  return impl_->delete_meta.bind(1, name).run("delete setting " + name);
}

Result<void> Store::putResumeToken(const ResumeTokenRow& row) {
  auto& s = impl_->put_token;
  s.bind(1, row.token).bind(2, row.session).bind(3, row.source_task).bind(4, row.partial);
  s.bind(5, row.offset).bind(6, row.etag).bind(7, row.last_modified).bind(8, row.request_json);
  s.bind(9, row.created_at).bind(10, row.used).bind(11, row.segments);
  return s.run("store a resume token of task " + std::to_string(row.source_task));
}

Result<void> Store::markResumeTokenUsed(const std::string& token) {
  if (auto r = impl_->mark_token.bind(1, token).run("mark a resume token used"); !r) return r;
  if (impl_->db.changes() == 0) {
    return fail(errc::not_found, "state database " + impl_->db.path().string() +
                                     ": resume token " + token + " is not stored.");
  }
  return {};
}

Result<void> Store::deleteResumeToken(const std::string& token) {
  return impl_->delete_token.bind(1, token).run("delete a resume token");
}

}  // namespace ferry::store
