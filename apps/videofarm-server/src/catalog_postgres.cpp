// The shared catalogue: PostgreSQL through libpq, so several server instances (behind a load
// balancer, sharing the files directory) see one library. Calls are synchronous and short, made
// on the I/O thread like the SQLite ones; a broken connection is re-established once per call.
#include "video_catalog.hpp"

#ifdef VF_HAVE_LIBPQ

#include <libpq-fe.h>

#include <spdlog/spdlog.h>

#include <array>
#include <string>
#include <vector>

namespace vf {
namespace {

using ferry::Result;

struct ConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultClearer>;

// A text parameter; nullopt is SQL NULL.
using Param = std::optional<std::string>;

template <class T>
Param optionalParam(const std::optional<T>& v) {
  if (!v) return std::nullopt;
  if constexpr (std::is_same_v<T, std::string>) {
    return *v;
  } else {
    return std::to_string(*v);
  }
}

constexpr const char* kPostgresSchema = R"sql(
CREATE TABLE IF NOT EXISTS videos(
  seq BIGSERIAL PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  thumbnail_type TEXT,
  movie_size BIGINT,
  movie_type TEXT,
  movie_duration DOUBLE PRECISION);
CREATE TABLE IF NOT EXISTS uploads(
  token TEXT PRIMARY KEY,
  video_id TEXT NOT NULL,
  protocol TEXT NOT NULL,
  length BIGINT,
  offset_bytes BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  metadata TEXT NOT NULL,
  complete BOOLEAN NOT NULL DEFAULT FALSE);
CREATE INDEX IF NOT EXISTS uploads_by_video ON uploads(video_id);
)sql";

// Any number serves as the lock id; it only has to be the same for every instance.
constexpr const char* kSchemaLock = "SELECT pg_advisory_lock(7261536)";
constexpr const char* kSchemaUnlock = "SELECT pg_advisory_unlock(7261536)";

constexpr const char* kPostgresVideoColumns =
    "v.id, v.title, v.description, v.created_at_ms, v.thumbnail_type, v.movie_size, v.movie_type, "
    "v.movie_duration, EXISTS(SELECT 1 FROM uploads u WHERE u.video_id = v.id AND NOT u.complete)";
constexpr const char* kUploadColumns =
    "token, video_id, protocol, length, offset_bytes, expires_at_ms, metadata, complete";

class PostgresCatalog final : public VideoCatalog {
 public:
  explicit PostgresCatalog(PGconn* conn) : conn_(conn) {}

  // Creates the tables once, whichever instance starts first (the advisory lock serialises
  // concurrent CREATE ... IF NOT EXISTS, which can otherwise collide).
  Result<void> init() {
    for (const char* sql : {kSchemaLock, kPostgresSchema, kSchemaUnlock}) {
      PgResult r(PQexec(conn_.get(), sql));  // the schema is several statements: no parameters
      auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
      if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        return ferry::fail(ferry::errc::io, std::string("cannot create the catalogue schema in PostgreSQL: ") +
                                                PQerrorMessage(conn_.get()));
    }
    return {};
  }

  Result<Video> create(const NewVideo& nv) override {
    std::int64_t now = nowMs();
    auto r = exec("INSERT INTO videos(id, title, description, created_at_ms, thumbnail_type) VALUES($1,$2,$3,$4,$5)",
                  {nv.id, nv.title, nv.description, std::to_string(now), optionalParam(nv.thumbnail_type)});
    if (!r) return tl::unexpected(r.error());
    return Video{nv.id, nv.title, nv.description, now, nv.thumbnail_type, std::nullopt, false};
  }

  Result<std::optional<Video>> find(const std::string& id) override {
    auto r = exec(std::string("SELECT ") + kPostgresVideoColumns + " FROM videos v WHERE v.id = $1", {id});
    if (!r) return tl::unexpected(r.error());
    if (PQntuples(r->get()) == 0) return std::optional<Video>();
    return std::optional<Video>(readVideo(r->get(), 0));
  }

  Result<std::vector<Video>> list(std::size_t limit, const std::optional<std::string>& after) override {
    std::string sql = std::string("SELECT ") + kPostgresVideoColumns + " FROM videos v";
    std::vector<Param> params;
    if (after) {
      sql += " WHERE v.seq < (SELECT seq FROM videos WHERE id = $1) ORDER BY v.seq DESC LIMIT $2";
      params = {*after, std::to_string(limit)};
    } else {
      sql += " ORDER BY v.seq DESC LIMIT $1";
      params = {std::to_string(limit)};
    }
    auto r = exec(sql, params);
    if (!r) return tl::unexpected(r.error());
    std::vector<Video> out;
    for (int i = 0; i < PQntuples(r->get()); ++i) out.push_back(readVideo(r->get(), i));
    return out;
  }

  Result<bool> remove(const std::string& id) override {
    // One statement, so the upload records and the video go together.
    auto r = exec("WITH u AS (DELETE FROM uploads WHERE video_id = $1) DELETE FROM videos WHERE id = $1", {id});
    if (!r) return tl::unexpected(r.error());
    return std::string(PQcmdTuples(r->get())) != "0";
  }

  Result<bool> setMovie(const std::string& id, const MovieInfo& m) override {
    auto r = exec("UPDATE videos SET movie_size = $1, movie_type = $2, movie_duration = $3 WHERE id = $4",
                  {std::to_string(m.size), m.content_type, optionalParam(m.duration_seconds), id});
    if (!r) return tl::unexpected(r.error());
    return std::string(PQcmdTuples(r->get())) != "0";
  }

  Result<void> createUpload(const UploadRecord& u) override {
    auto r = exec("INSERT INTO uploads(token, video_id, protocol, length, offset_bytes, expires_at_ms, metadata, complete) "
                  "VALUES($1,$2,$3,$4,$5,$6,$7,$8)",
                  {u.token, u.video_id, u.protocol, optionalParam(u.length), std::to_string(u.offset),
                   std::to_string(u.expires_at_ms), u.metadata, std::string(u.complete ? "true" : "false")});
    if (!r) return tl::unexpected(r.error());
    return {};
  }

  Result<std::optional<UploadRecord>> findUpload(const std::string& token) override {
    auto r = exec(std::string("SELECT ") + kUploadColumns + " FROM uploads WHERE token = $1", {token});
    if (!r) return tl::unexpected(r.error());
    if (PQntuples(r->get()) == 0) return std::optional<UploadRecord>();
    return std::optional<UploadRecord>(readUpload(r->get(), 0));
  }

  Result<void> updateUpload(const UploadRecord& u) override {
    auto r = exec("UPDATE uploads SET offset_bytes = $1, length = $2, expires_at_ms = $3, complete = $4 WHERE token = $5",
                  {std::to_string(u.offset), optionalParam(u.length), std::to_string(u.expires_at_ms),
                   std::string(u.complete ? "true" : "false"), u.token});
    if (!r) return tl::unexpected(r.error());
    return {};
  }

  Result<void> removeUpload(const std::string& token) override {
    auto r = exec("DELETE FROM uploads WHERE token = $1", {token});
    if (!r) return tl::unexpected(r.error());
    return {};
  }

  Result<std::vector<UploadRecord>> expiredUploads(std::int64_t now) override {
    auto r = exec(std::string("SELECT ") + kUploadColumns + " FROM uploads WHERE expires_at_ms <= $1",
                  {std::to_string(now)});
    if (!r) return tl::unexpected(r.error());
    std::vector<UploadRecord> out;
    for (int i = 0; i < PQntuples(r->get()); ++i) out.push_back(readUpload(r->get(), i));
    return out;
  }

 private:
  static bool isNull(PGresult* r, int row, int col) { return PQgetisnull(r, row, col) != 0; }
  static std::string text(PGresult* r, int row, int col) { return PQgetvalue(r, row, col); }
  static std::int64_t integer(PGresult* r, int row, int col) { return std::stoll(PQgetvalue(r, row, col)); }
  static bool boolean(PGresult* r, int row, int col) { return PQgetvalue(r, row, col)[0] == 't'; }

  static Video readVideo(PGresult* r, int i) {
    Video v;
    v.id = text(r, i, 0);
    v.title = text(r, i, 1);
    v.description = text(r, i, 2);
    v.created_at_ms = integer(r, i, 3);
    if (!isNull(r, i, 4)) v.thumbnail_type = text(r, i, 4);
    if (!isNull(r, i, 5)) {
      MovieInfo m;
      m.size = static_cast<std::uint64_t>(integer(r, i, 5));
      m.content_type = text(r, i, 6);
      if (!isNull(r, i, 7)) m.duration_seconds = std::stod(text(r, i, 7));
      v.movie = m;
    }
    v.upload_in_progress = boolean(r, i, 8);
    return v;
  }

  static UploadRecord readUpload(PGresult* r, int i) {
    UploadRecord u;
    u.token = text(r, i, 0);
    u.video_id = text(r, i, 1);
    u.protocol = text(r, i, 2);
    if (!isNull(r, i, 3)) u.length = static_cast<std::uint64_t>(integer(r, i, 3));
    u.offset = static_cast<std::uint64_t>(integer(r, i, 4));
    u.expires_at_ms = integer(r, i, 5);
    u.metadata = text(r, i, 6);
    u.complete = boolean(r, i, 7);
    return u;
  }

  Result<PgResult> execOnce(const std::string& sql, const std::vector<Param>& params) {
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    PgResult r(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                            nullptr, nullptr, 0));
    auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return r;
    return ferry::fail(ferry::errc::io, std::string("catalogue (PostgreSQL): ") + PQerrorMessage(conn_.get()));
  }

  // Runs a statement; after a lost connection, reconnects and tries once more.
  Result<PgResult> exec(const std::string& sql, const std::vector<Param>& params) {
    auto r = execOnce(sql, params);
    if (r || PQstatus(conn_.get()) == CONNECTION_OK) return r;
    spdlog::warn("PostgreSQL connection lost; reconnecting");
    PQreset(conn_.get());
    if (PQstatus(conn_.get()) != CONNECTION_OK) return r;
    return execOnce(sql, params);
  }

  std::unique_ptr<PGconn, ConnCloser> conn_;
};

}  // namespace

ferry::Result<std::unique_ptr<VideoCatalog>> openPostgresCatalog(const std::string& conninfo) {
  std::unique_ptr<PGconn, ConnCloser> conn(PQconnectdb(conninfo.c_str()));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK)
    return ferry::fail(ferry::errc::io, std::string("cannot connect to PostgreSQL: ") +
                                            (conn ? PQerrorMessage(conn.get()) : "out of memory"));
  PQsetNoticeProcessor(conn.get(), [](void*, const char*) {}, nullptr);  // "already exists" notices
  auto catalog = std::make_unique<PostgresCatalog>(conn.release());
  if (auto r = catalog->init(); !r) return tl::unexpected(r.error());
  return std::unique_ptr<VideoCatalog>(std::move(catalog));
}

}  // namespace vf

#else

namespace vf {

ferry::Result<std::unique_ptr<VideoCatalog>> openPostgresCatalog(const std::string&) {
  return ferry::fail(ferry::errc::invalid_argument,
                     "this build has no PostgreSQL support (libpq-dev was missing); leave out --database to use SQLite");
}

}  // namespace vf

#endif
