// The SQLite catalogue's schema and its migrations. A database made by an older server is
// brought up to date at start-up: the tables of the first release are created if missing, then
// each migration whose number is above PRAGMA user_version runs in one transaction with the
// version bump, so a crash mid-migration leaves the old schema, never half of the new one.
#include <array>

#include "sqlite_statement.hpp"

namespace vf::sqlite {
namespace {

// The first release's tables, exactly as it created them.
constexpr const char* kBaseSchema = R"sql(
CREATE TABLE IF NOT EXISTS videos(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  thumbnail_type TEXT,
  movie_size INTEGER,
  movie_type TEXT,
  movie_duration REAL);
CREATE TABLE IF NOT EXISTS uploads(
  token TEXT PRIMARY KEY,
  video_id TEXT NOT NULL,
  protocol TEXT NOT NULL,
  length INTEGER,
  offset_bytes INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  metadata TEXT NOT NULL,
  complete INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS uploads_by_video ON uploads(video_id);
)sql";

// Migration N takes user_version N-1 to N. Videos that existed before accounts keep a NULL
// owner: only an administrator may change or delete them (docs/videofarm-server.md).
constexpr std::array<const char*, 2> kMigrations = {R"sql(
ALTER TABLE videos ADD COLUMN owner_id TEXT;
ALTER TABLE videos ADD COLUMN width INTEGER;
ALTER TABLE videos ADD COLUMN height INTEGER;
ALTER TABLE videos ADD COLUMN video_codec TEXT;
ALTER TABLE videos ADD COLUMN audio_codec TEXT;
CREATE TABLE users(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  admin INTEGER NOT NULL DEFAULT 0,
  created_at_ms INTEGER NOT NULL);
CREATE TABLE tokens(
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  digest TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  label TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL);
CREATE INDEX tokens_by_user ON tokens(user_id);
)sql",
// 2: the catalogue's generation (VideoCatalog::generation), bumped by triggers in the writing
// transaction. An upload's appends (offset, expiry) change nothing a client's JSON shows.
R"sql(
CREATE TABLE catalog_generation(n INTEGER NOT NULL);
INSERT INTO catalog_generation VALUES (0);
CREATE TRIGGER videos_inserted AFTER INSERT ON videos BEGIN UPDATE catalog_generation SET n = n + 1; END;
CREATE TRIGGER videos_updated AFTER UPDATE ON videos BEGIN UPDATE catalog_generation SET n = n + 1; END;
CREATE TRIGGER videos_deleted AFTER DELETE ON videos BEGIN UPDATE catalog_generation SET n = n + 1; END;
CREATE TRIGGER uploads_opened AFTER INSERT ON uploads BEGIN UPDATE catalog_generation SET n = n + 1; END;
CREATE TRIGGER uploads_removed AFTER DELETE ON uploads BEGIN UPDATE catalog_generation SET n = n + 1; END;
CREATE TRIGGER uploads_completed AFTER UPDATE OF complete ON uploads WHEN OLD.complete <> NEW.complete
  BEGIN UPDATE catalog_generation SET n = n + 1; END;
)sql"};

ferry::Result<void> failWith(sqlite3* db, const std::string& path, const std::string& what) {
  return ferry::fail(ferry::errc::io, "catalogue " + path + ": " + what + ": " + sqlite3_errmsg(db));
}

std::int64_t userVersion(sqlite3* db) {
  Statement s(db, "PRAGMA user_version");
  return s.ok() && s.step() == SQLITE_ROW ? s.integer(0) : -1;
}

ferry::Result<void> migrate(sqlite3* db, const std::string& path) {
  // IMMEDIATE: two processes opening one file at once migrate one after the other.
  if (!execScript(db, "BEGIN IMMEDIATE")) return failWith(db, path, "begin migration");
  auto version = userVersion(db);
  if (version < 0) {
    execScript(db, "ROLLBACK");
    return failWith(db, path, "read the schema version");
  }
  if (!execScript(db, kBaseSchema)) {
    execScript(db, "ROLLBACK");
    return failWith(db, path, "create the schema");
  }
  for (auto n = static_cast<std::size_t>(version); n < kMigrations.size(); ++n) {
    std::string bump = "PRAGMA user_version = " + std::to_string(n + 1);
    if (!execScript(db, kMigrations[n]) || !execScript(db, bump.c_str())) {
      auto err = failWith(db, path, "migration " + std::to_string(n + 1));
      execScript(db, "ROLLBACK");
      return err;
    }
  }
  if (!execScript(db, "COMMIT")) return failWith(db, path, "commit migration");
  return {};
}

}  // namespace

ferry::Result<std::unique_ptr<sqlite3, DbCloser>> openDatabase(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  std::unique_ptr<sqlite3, DbCloser> db(raw);
  if (rc != SQLITE_OK)
    return ferry::fail(ferry::errc::io,
                       "cannot open catalogue " + path + ": " + (raw ? sqlite3_errmsg(raw) : "out of memory"));
  sqlite3_busy_timeout(db.get(), 5000);
  if (!execScript(db.get(), "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"))
    return tl::unexpected(failWith(db.get(), path, "set WAL mode").error());
  if (auto r = migrate(db.get(), path); !r) return tl::unexpected(r.error());
  return db;
}

}  // namespace vf::sqlite
