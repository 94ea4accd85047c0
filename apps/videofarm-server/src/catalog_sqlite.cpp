// The embedded catalogue: one SQLite file in WAL mode. Calls are short and made on the server's
// I/O thread; SQLite's busy timeout covers a second process opening the same file.
#include <sqlite3.h>

#include <chrono>
#include <mutex>
#include <set>

#include "sqlite_statement.hpp"
#include "video_catalog.hpp"

namespace vf {
namespace {

using ferry::Result;
using sqlite::dbError;
using sqlite::DbCloser;
using sqlite::Statement;


constexpr const char* kSqliteVideoColumns =
    "v.id, v.title, v.description, v.created_at_ms, v.thumbnail_type, v.movie_size, v.movie_type, "
    "v.movie_duration, EXISTS(SELECT 1 FROM uploads u WHERE u.video_id = v.id AND u.complete = 0), "
    "v.owner_id, v.width, v.height, v.video_codec, v.audio_codec";

constexpr const char* kSqliteUploadColumns =
    "token, video_id, protocol, length, offset_bytes, expires_at_ms, metadata, complete";

Video readVideo(const Statement& s) {
  Video v;
  v.id = s.text(0);
  v.title = s.text(1);
  v.description = s.text(2);
  v.created_at_ms = s.integer(3);
  if (!s.isNull(4)) v.thumbnail_type = s.text(4);
  if (!s.isNull(5)) {
    MovieInfo m;
    m.size = static_cast<std::uint64_t>(s.integer(5));
    m.content_type = s.text(6);
    if (!s.isNull(7)) m.duration_seconds = s.real(7);
    v.movie = m;
  }
  v.upload_in_progress = s.integer(8) != 0;
  if (!s.isNull(9)) v.owner_id = s.text(9);
  if (v.movie) {
    auto& f = v.movie->facts;
    if (!s.isNull(10)) f.width = static_cast<int>(s.integer(10));
    if (!s.isNull(11)) f.height = static_cast<int>(s.integer(11));
    if (!s.isNull(12)) f.video_codec = s.text(12);
    if (!s.isNull(13)) f.audio_codec = s.text(13);
  }
  return v;
}

UploadRecord readUpload(const Statement& s) {
  UploadRecord u;
  u.token = s.text(0);
  u.video_id = s.text(1);
  u.protocol = s.text(2);
  if (!s.isNull(3)) u.length = static_cast<std::uint64_t>(s.integer(3));
  u.offset = static_cast<std::uint64_t>(s.integer(4));
  u.expires_at_ms = s.integer(5);
  u.metadata = s.text(6);
  u.complete = s.integer(7) != 0;
  return u;
}

class SqliteCatalog final : public VideoCatalog {
 public:
  SqliteCatalog(sqlite3* db, std::string path)
      : db_(db), path_(std::move(path)), generation_(db, "SELECT n FROM catalog_generation") {}

  // Asked at every cached answer: one statement, prepared once.
  Result<std::uint64_t> generation() override {
    if (!generation_.ok() || generation_.step() != SQLITE_ROW) {
      generation_.reset();
      return tl::unexpected(dbError(db_.get(), "read the catalogue's generation"));
    }
    const auto n = static_cast<std::uint64_t>(generation_.integer(0));
    generation_.reset();  // at once: a statement left running keeps its read transaction open
    return n;
  }

  Result<Video> create(const NewVideo& nv) override {
    Statement s(db_.get(),
                "INSERT INTO videos(id, title, description, created_at_ms, thumbnail_type, owner_id) VALUES(?,?,?,?,?,?)");
    if (!s.ok()) return tl::unexpected(dbError(db_.get(), "prepare insert"));
    std::int64_t now = nowMs();
    s.bind(1, nv.id).bind(2, nv.title).bind(3, nv.description).bind(4, now).bindOptional(5, nv.thumbnail_type);
    s.bindOptional(6, nv.owner_id);
    if (s.step() != SQLITE_DONE) return tl::unexpected(dbError(db_.get(), "insert video"));
    Video v{nv.id, nv.title, nv.description, now, nv.thumbnail_type, std::nullopt, false, nv.owner_id};
    return v;
  }

  Result<std::optional<Video>> find(const std::string& id) override {
    std::string sql = std::string("SELECT ") + kSqliteVideoColumns + " FROM videos v WHERE v.id = ?";
    Statement s(db_.get(), sql.c_str());
    if (!s.ok()) return tl::unexpected(dbError(db_.get(), "prepare find"));
    s.bind(1, id);
    int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<Video>();
    if (rc != SQLITE_ROW) return tl::unexpected(dbError(db_.get(), "find video"));
    return std::optional<Video>(readVideo(s));
  }

  Result<std::vector<Video>> list(std::size_t limit, const std::optional<std::string>& after) override {
    std::string sql = std::string("SELECT ") + kSqliteVideoColumns + " FROM videos v";
    if (after) sql += " WHERE v.seq < (SELECT seq FROM videos WHERE id = ?)";
    sql += " ORDER BY v.seq DESC LIMIT ?";
    Statement s(db_.get(), sql.c_str());
    if (!s.ok()) return tl::unexpected(dbError(db_.get(), "prepare list"));
    int i = 1;
    if (after) s.bind(i++, *after);
    s.bind(i, static_cast<std::int64_t>(limit));
    std::vector<Video> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(readVideo(s));
    if (rc != SQLITE_DONE) return tl::unexpected(dbError(db_.get(), "list videos"));
    return out;
  }

  Result<bool> remove(const std::string& id) override {
    if (!exec("BEGIN IMMEDIATE")) return tl::unexpected(dbError(db_.get(), "begin"));
    Statement u(db_.get(), "DELETE FROM uploads WHERE video_id = ?");
    Statement v(db_.get(), "DELETE FROM videos WHERE id = ?");
    u.bind(1, id);
    v.bind(1, id);
    if (!u.ok() || !v.ok() || u.step() != SQLITE_DONE || v.step() != SQLITE_DONE) {
      auto err = dbError(db_.get(), "delete video");
      exec("ROLLBACK");
      return tl::unexpected(err);
    }
    bool removed = sqlite3_changes(db_.get()) > 0;
    if (!exec("COMMIT")) return tl::unexpected(dbError(db_.get(), "commit"));
    return removed;
  }

  Result<bool> setMediaFacts(const std::string& id, const MediaFacts& f,
                             const std::optional<std::string>& thumbnail_type) override {
    Statement s(db_.get(),
                "UPDATE videos SET width = ?, height = ?, video_codec = ?, audio_codec = ?, "
                "thumbnail_type = COALESCE(thumbnail_type, ?) WHERE id = ?");
    if (!s.ok()) return tl::unexpected(dbError(db_.get(), "prepare set media facts"));
    s.bindOptional(1, f.width).bindOptional(2, f.height).bindOptional(3, f.video_codec).bindOptional(4, f.audio_codec);
    s.bindOptional(5, thumbnail_type).bind(6, id);
    if (s.step() != SQLITE_DONE) return tl::unexpected(dbError(db_.get(), "set media facts"));
    return sqlite3_changes(db_.get()) > 0;
  }

  // A new movie's facts are cleared until the decoder has looked at it.
  Result<bool> setMovie(const std::string& id, const MovieInfo& m) override {
    Statement s(db_.get(),
                "UPDATE videos SET movie_size = ?, movie_type = ?, movie_duration = ?, width = NULL, height = NULL, "
                "video_codec = NULL, audio_codec = NULL WHERE id = ?");
    if (!s.ok()) return tl::unexpected(dbError(db_.get(), "prepare set movie"));
    s.bind(1, static_cast<std::int64_t>(m.size)).bind(2, m.content_type).bindOptional(3, m.duration_seconds).bind(4, id);
    if (s.step() != SQLITE_DONE) return tl::unexpected(dbError(db_.get(), "set movie"));
    return sqlite3_changes(db_.get()) > 0;
  }

  Result<void> createUpload(const UploadRecord& u) override {
    Statement s(db_.get(),
                "INSERT INTO uploads(token, video_id, protocol, length, offset_bytes, expires_at_ms, metadata) "
                "VALUES(?,?,?,?,?,?,?)");
    if (!s.ok()) return tl::unexpected(dbError(db_.get(), "prepare insert upload"));
    s.bind(1, u.token).bind(2, u.video_id).bind(3, u.protocol).bindOptional(4, u.length);
    s.bind(5, static_cast<std::int64_t>(u.offset)).bind(6, u.expires_at_ms).bind(7, u.metadata);
    if (s.step() != SQLITE_DONE) return tl::unexpected(dbError(db_.get(), "insert upload"));
    return {};
  }

  Result<std::optional<UploadRecord>> findUpload(const std::string& token) override {
    std::string sql = std::string("SELECT ") + kSqliteUploadColumns + " FROM uploads WHERE token = ?";
    Statement s(db_.get(), sql.c_str());
    if (!s.ok()) return tl::unexpected(dbError(db_.get(), "prepare find upload"));
    s.bind(1, token);
    int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<UploadRecord>();
    if (rc != SQLITE_ROW) return tl::unexpected(dbError(db_.get(), "find upload"));
    return std::optional<UploadRecord>(readUpload(s));
  }

  Result<bool> updateUpload(const UploadRecord& u, std::uint64_t expected_offset) override {
    Statement s(db_.get(),
                "UPDATE uploads SET offset_bytes = ?, length = ?, expires_at_ms = ?, complete = ? "
                "WHERE token = ? AND offset_bytes = ?");
    if (!s.ok()) return tl::unexpected(dbError(db_.get(), "prepare update upload"));
    s.bind(1, static_cast<std::int64_t>(u.offset)).bindOptional(2, u.length).bind(3, u.expires_at_ms);
    s.bind(4, static_cast<std::int64_t>(u.complete ? 1 : 0)).bind(5, u.token);
    s.bind(6, static_cast<std::int64_t>(expected_offset));
    if (s.step() != SQLITE_DONE) return tl::unexpected(dbError(db_.get(), "update upload"));
    return sqlite3_changes(db_.get()) > 0;
  }

  Result<void> removeUpload(const std::string& token) override {
    Statement s(db_.get(), "DELETE FROM uploads WHERE token = ?");
    if (!s.ok()) return tl::unexpected(dbError(db_.get(), "prepare remove upload"));
    s.bind(1, token);
    if (s.step() != SQLITE_DONE) return tl::unexpected(dbError(db_.get(), "remove upload"));
    return {};
  }

  Result<std::vector<UploadRecord>> expiredUploads(std::int64_t now) override {
    return selectUploads("WHERE expires_at_ms <= ?", [now](Statement& s) { s.bind(1, now); });
  }

  Result<std::vector<UploadRecord>> uploadsOf(const std::string& video_id) override {
    return selectUploads("WHERE video_id = ?", [&video_id](Statement& s) { s.bind(1, video_id); });
  }

  Result<std::unique_ptr<CatalogLock>> lockUpload(const std::string& token) override { return lock("upload " + token); }
  Result<std::unique_ptr<CatalogLock>> lockExpirySweep() override { return lock("expiry sweep"); }

 private:
  // One process per SQLite file, which opens a catalogue per I/O thread: the locks are the
  // process's, shared by every catalogue it has on the file.
  struct HeldLocks {
    std::mutex mutex;
    std::set<std::string> keys;  // "<path>\n<what>"
  };
  static HeldLocks& heldLocks() {
    static HeldLocks held;
    return held;
  }

  class ProcessLock final : public CatalogLock {
   public:
    explicit ProcessLock(std::string key) : key_(std::move(key)) {}
    ~ProcessLock() override {
      auto& held = heldLocks();
      std::lock_guard guard(held.mutex);
      held.keys.erase(key_);
    }

   private:
    std::string key_;
  };

  Result<std::unique_ptr<CatalogLock>> lock(const std::string& what) {
    auto& held = heldLocks();
    std::string key = path_ + "\n" + what;
    std::lock_guard guard(held.mutex);
    if (!held.keys.insert(key).second) return std::unique_ptr<CatalogLock>();
    return std::unique_ptr<CatalogLock>(std::make_unique<ProcessLock>(std::move(key)));
  }

  template <class Bind>
  Result<std::vector<UploadRecord>> selectUploads(const std::string& where, Bind bind) {
    std::string sql = std::string("SELECT ") + kSqliteUploadColumns + " FROM uploads " + where;
    Statement s(db_.get(), sql.c_str());
    if (!s.ok()) return tl::unexpected(dbError(db_.get(), "prepare select uploads"));
    bind(s);
    std::vector<UploadRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(readUpload(s));
    if (rc != SQLITE_DONE) return tl::unexpected(dbError(db_.get(), "select uploads"));
    return out;
  }

  bool exec(const char* sql) { return sqlite::execScript(db_.get(), sql); }

  std::unique_ptr<sqlite3, DbCloser> db_;
  std::string path_;
  Statement generation_;
};

}  // namespace

std::int64_t nowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Result<std::unique_ptr<VideoCatalog>> openSqliteCatalog(const std::string& path) {
  auto db = sqlite::openDatabase(path);
  if (!db) return tl::unexpected(db.error());
  return std::unique_ptr<VideoCatalog>(std::make_unique<SqliteCatalog>(db->release(), path));
}

}  // namespace vf
