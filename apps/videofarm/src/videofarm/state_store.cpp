#include "videofarm/state_store.hpp"

#include <sys/random.h>

#include <chrono>
#include <cstdio>

#include "videofarm/local_files.hpp"

namespace videofarm {

using nlohmann::json;
using sql::Value;

namespace {

const char* kSchema = R"(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE videos(id TEXT PRIMARY KEY, server TEXT NOT NULL, json TEXT NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE transfers(
  video_id TEXT NOT NULL REFERENCES videos(id),
  role TEXT NOT NULL CHECK (role IN ('upload','movie','thumbnail')),
  url TEXT NOT NULL,
  task INTEGER UNIQUE,
  state TEXT NOT NULL CHECK (state IN ('running','paused','finished','failed')),
  resume_data TEXT NOT NULL DEFAULT '',
  file TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  bytes_done INTEGER NOT NULL DEFAULT 0,
  bytes_total INTEGER,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (video_id, role));
CREATE TABLE library(video_id TEXT PRIMARY KEY, movie TEXT NOT NULL, thumbnail TEXT, finished_at INTEGER NOT NULL);
)";

const char* kTransferColumns = "video_id, role, url, task, state, resume_data, file, error, bytes_done, bytes_total";

std::int64_t now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Value optionalInt(const std::optional<std::uint64_t>& v) {
  return v ? Value(static_cast<std::int64_t>(*v)) : Value(nullptr);
}

Result<Transfer> transferFromRow(const sql::Row& row, const std::filesystem::path& file) {
  Transfer t;
  auto bad = [&](const std::string& what) {
    return fail(errc::state_unusable, "the state file " + file.string() + " has a transfer with " + what +
                                          "; was it edited by hand? Move it away to start with an empty state");
  };
  t.video_id = sql::asText(row[0]);
  auto role = roleFromName(sql::asText(row[1]));
  if (!role) return bad("an unknown role");
  t.role = *role;
  t.url = sql::asText(row[2]);
  if (auto task = sql::asInt(row[3])) t.task = static_cast<std::uint64_t>(*task);
  auto state = stateFromName(sql::asText(row[4]));
  if (!state) return bad("an unknown state");
  t.state = *state;
  t.resume_data = sql::asText(row[5]);
  t.file = sql::asText(row[6]);
  t.error = sql::asText(row[7]);
  t.bytes_done = static_cast<std::uint64_t>(sql::asInt(row[8]).value_or(0));
  if (auto total = sql::asInt(row[9])) t.bytes_total = static_cast<std::uint64_t>(*total);
  return t;
}

Result<std::vector<Transfer>> transfersFromRows(const std::vector<sql::Row>& rows, const std::filesystem::path& file) {
  std::vector<Transfer> out;
  for (const auto& row : rows) {
    auto t = transferFromRow(row, file);
    if (!t) return tl::unexpected(t.error());
    out.push_back(std::move(*t));
  }
  return out;
}

std::string randomHex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  std::size_t got = 0;
  while (got < bytes) {
    auto n = getrandom(raw.data() + got, bytes - got, 0);
    if (n > 0) got += static_cast<std::size_t>(n);
  }
  std::string hex;
  char buf[3];
  for (unsigned char c : raw) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    hex += buf;
  }
  return hex;
}

}  // namespace

Result<std::unique_ptr<StateStore>> StateStore::open(const std::filesystem::path& file) {
  if (auto dir = makeDirectory(file.parent_path(), std::filesystem::perms::owner_all); !dir)
    return fail(errc::state_unusable, "cannot create the data directory: " + dir.error().message);
  std::error_code ec;
  if (std::filesystem::exists(file, ec) && !std::filesystem::is_regular_file(file, ec))
    return fail(errc::state_unusable, "the state file " + file.string() + " is not a regular file; move it away");
  auto db = sql::Database::open(file);
  if (!db) return tl::unexpected(db.error());
  std::unique_ptr<StateStore> store(new StateStore(std::move(*db)));
  if (auto ready = store->prepareSchema(); !ready) return tl::unexpected(ready.error());
  return store;
}

Result<void> StateStore::prepareSchema() {
  // The first read fails with "file is not a database" on a file that is something else.
  auto check = db_.query("PRAGMA quick_check");
  if (!check) return tl::unexpected(check.error());
  if (check->empty() || sql::asText(check->front()[0]) != "ok")
    return fail(errc::state_unusable, "the state file " + db_.path().string() + " is damaged (" +
                                          (check->empty() ? std::string("no answer") : sql::asText(check->front()[0])) +
                                          "); move it away to start with an empty state");
  if (auto wal = db_.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON"); !wal)
    return tl::unexpected(wal.error());
  return transaction([&]() -> Result<void> {
    auto tables = db_.query("SELECT name FROM sqlite_master WHERE type='table'");
    if (!tables) return tl::unexpected(tables.error());
    if (tables->empty()) {
      if (auto made = db_.exec(kSchema); !made) return made;
      return db_.run("INSERT INTO meta(key, value) VALUES ('schema_version', ?)", {std::to_string(kSchemaVersion)});
    }
    auto version = db_.query("SELECT value FROM meta WHERE key='schema_version'");
    if (!version || version->empty())
      return fail(errc::state_unusable, "the state file " + db_.path().string() +
                                            " is an SQLite database of something else, not VideoFarm's state; "
                                            "use another --data-dir or move it away");
    const auto v = sql::asText(version->front()[0]);
    if (v != std::to_string(kSchemaVersion))
      return fail(errc::state_unusable, "the state file " + db_.path().string() + " has schema version " + v +
                                            "; this videofarm reads version " + std::to_string(kSchemaVersion) +
                                            " (a newer videofarm wrote it?)");
    return {};
  });
}

Result<void> StateStore::transaction(const std::function<Result<void>()>& body) {
  std::lock_guard lock(mutex_);
  if (depth_ > 0) return body();
  if (auto begin = db_.exec("BEGIN IMMEDIATE"); !begin) return begin;
  ++depth_;
  auto result = body();
  --depth_;
  if (!result) {
    (void)db_.exec("ROLLBACK");
    return result;
  }
  if (auto commit = db_.exec("COMMIT"); !commit) {
    (void)db_.exec("ROLLBACK");
    return commit;
  }
  return {};
}

Result<std::string> StateStore::sessionIdentifier() {
  std::string id;
  auto done = transaction([&]() -> Result<void> {
    auto existing = setting("session");
    if (!existing) return tl::unexpected(existing.error());
    if (*existing) {
      id = **existing;
      return {};
    }
    id = "videofarm-" + randomHex(8);
    return setSetting("session", id);
  });
  if (!done) return tl::unexpected(done.error());
  return id;
}

Result<std::optional<std::string>> StateStore::setting(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto rows = db_.query("SELECT value FROM meta WHERE key=?", {key});
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<std::string>();
  return std::optional<std::string>(sql::asText(rows->front()[0]));
}

Result<void> StateStore::setSetting(const std::string& key, const std::string& value) {
  std::lock_guard lock(mutex_);
  return db_.run("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                 {key, value});
}

Result<void> StateStore::saveVideo(const std::string& server, const RemoteVideo& video) {
  std::lock_guard lock(mutex_);
  return db_.run(
      "INSERT INTO videos(id, server, json, updated_at) VALUES (?, ?, ?, ?) "
      "ON CONFLICT(id) DO UPDATE SET server=excluded.server, json=excluded.json, updated_at=excluded.updated_at",
      {video.id, server, toJson(video).dump(), now()});
}

Result<std::optional<KnownVideo>> StateStore::video(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto rows = db_.query("SELECT server, json FROM videos WHERE id=?", {id});
  if (!rows) return tl::unexpected(rows.error());
  if (rows->empty()) return std::optional<KnownVideo>();
  auto j = json::parse(sql::asText(rows->front()[1]), nullptr, false);
  auto parsed = parseRemoteVideo(j);
  if (!parsed)
    return fail(errc::state_unusable, "the state file " + db_.path().string() + " keeps video " + id +
                                          " in a form this videofarm cannot read (" + parsed.error().message + ")");
  return std::optional<KnownVideo>(KnownVideo{sql::asText(rows->front()[0]), std::move(*parsed)});
}

Result<void> StateStore::writeTransfer(const Transfer& t) {
  // An upsert on (video, role) only: a second transfer claiming the same task is an error, where
  // INSERT OR REPLACE would silently delete the first.
  return db_.run(std::string("INSERT INTO transfers(") + kTransferColumns +
                     ", updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(video_id, role) DO UPDATE SET "
                     "url=excluded.url, task=excluded.task, state=excluded.state, resume_data=excluded.resume_data, "
                     "file=excluded.file, error=excluded.error, bytes_done=excluded.bytes_done, "
                     "bytes_total=excluded.bytes_total, updated_at=excluded.updated_at",
                 {t.video_id, std::string(roleName(t.role)), t.url, optionalInt(t.task), std::string(stateName(t.state)),
                  t.resume_data, t.file.string(), t.error, static_cast<std::int64_t>(t.bytes_done),
                  optionalInt(t.bytes_total), now()});
}

Result<void> StateStore::putTransfers(const std::string& server, const RemoteVideo& video,
                                      const std::vector<Transfer>& transfers) {
  return transaction([&]() -> Result<void> {
    if (auto saved = saveVideo(server, video); !saved) return saved;
    for (const auto& t : transfers)
      if (auto w = writeTransfer(t); !w) return w;
    return {};
  });
}

Result<void> StateStore::updateTransfer(const Transfer& t) {
  return transaction([&] { return writeTransfer(t); });
}

Result<bool> StateStore::updateTransferIf(const Transfer& t, TransferState expected) {
  bool updated = false;
  auto done = transaction([&]() -> Result<void> {
    auto rows = db_.query("SELECT state FROM transfers WHERE video_id=? AND role=?", {t.video_id, std::string(roleName(t.role))});
    if (!rows) return tl::unexpected(rows.error());
    if (rows->empty() || sql::asText(rows->front()[0]) != stateName(expected)) return {};
    updated = true;
    return writeTransfer(t);
  });
  if (!done) return tl::unexpected(done.error());
  return updated;
}

Result<std::optional<Transfer>> StateStore::transferOfTask(std::uint64_t task) {
  std::lock_guard lock(mutex_);
  auto rows = db_.query(std::string("SELECT ") + kTransferColumns + " FROM transfers WHERE task=?",
                        {static_cast<std::int64_t>(task)});
  if (!rows) return tl::unexpected(rows.error());
  auto all = transfersFromRows(*rows, db_.path());
  if (!all) return tl::unexpected(all.error());
  if (all->empty()) return std::optional<Transfer>();
  return std::optional<Transfer>(all->front());
}

Result<std::vector<Transfer>> StateStore::transfersOf(const std::string& video_id) {
  std::lock_guard lock(mutex_);
  auto rows = db_.query(std::string("SELECT ") + kTransferColumns + " FROM transfers WHERE video_id=? ORDER BY role",
                        {video_id});
  if (!rows) return tl::unexpected(rows.error());
  return transfersFromRows(*rows, db_.path());
}

Result<std::vector<Transfer>> StateStore::allTransfers() {
  std::lock_guard lock(mutex_);
  auto rows = db_.query(std::string("SELECT ") + kTransferColumns + " FROM transfers ORDER BY updated_at, video_id, role");
  if (!rows) return tl::unexpected(rows.error());
  return transfersFromRows(*rows, db_.path());
}

Result<void> StateStore::forgetVideo(const std::string& video_id) {
  return transaction([&]() -> Result<void> {
    // The library entry stays (its files are the user's), and the video's record with it.
    for (const char* sql : {"DELETE FROM transfers WHERE video_id=?",
                            "DELETE FROM videos WHERE id=? AND id NOT IN (SELECT video_id FROM library)"})
      if (auto r = db_.run(sql, {video_id}); !r) return r;
    return {};
  });
}

Result<void> StateStore::recordLibrary(const LibraryEntry& entry, const std::vector<Transfer>& finished) {
  return transaction([&]() -> Result<void> {
    for (const auto& t : finished)
      if (auto w = writeTransfer(t); !w) return w;
    return db_.run("INSERT OR REPLACE INTO library(video_id, movie, thumbnail, finished_at) VALUES (?, ?, ?, ?)",
                   {entry.video_id, entry.movie.string(),
                    entry.thumbnail ? Value(entry.thumbnail->string()) : Value(nullptr), now()});
  });
}

Result<std::optional<LibraryEntry>> StateStore::libraryEntry(const std::string& video_id) {
  auto all = library();
  if (!all) return tl::unexpected(all.error());
  for (auto& e : *all)
    if (e.video_id == video_id) return std::optional<LibraryEntry>(std::move(e));
  return std::optional<LibraryEntry>();
}

Result<std::vector<LibraryEntry>> StateStore::library() {
  std::lock_guard lock(mutex_);
  auto rows = db_.query("SELECT video_id, movie, thumbnail FROM library ORDER BY finished_at, video_id");
  if (!rows) return tl::unexpected(rows.error());
  std::vector<LibraryEntry> out;
  for (const auto& row : *rows) {
    LibraryEntry e{sql::asText(row[0]), sql::asText(row[1]), std::nullopt};
    if (!std::holds_alternative<std::nullptr_t>(row[2])) e.thumbnail = sql::asText(row[2]);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace videofarm
