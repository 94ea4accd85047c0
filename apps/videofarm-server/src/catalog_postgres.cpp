// The shared catalogue: PostgreSQL through libpq, so several server instances (behind a load
// balancer, sharing the files directory) see one library. Calls are synchronous and short, made
// on the I/O thread like the SQLite ones; a broken connection is re-established once per call.
#include "video_catalog.hpp"

#ifdef VF_HAVE_LIBPQ

#include <string>
#include <vector>

#include "pg_connection.hpp"

namespace vf {
namespace {

using ferry::Result;

using pg::Param;
using pg::PgResult;
using pg::optionalParam;
using pg::isNull;
using pg::text;
using pg::integer;
using pg::boolean;

constexpr const char* kPostgresVideoColumns =
    "v.id, v.title, v.description, v.created_at_ms, v.thumbnail_type, v.movie_size, v.movie_type, "
    "v.movie_duration, EXISTS(SELECT 1 FROM uploads u WHERE u.video_id = v.id AND NOT u.complete), "
    "v.owner_id, v.width, v.height, v.video_codec, v.audio_codec";
constexpr const char* kUploadColumns =
    "token, video_id, protocol, length, offset_bytes, expires_at_ms, metadata, complete";

class PostgresCatalog final : public VideoCatalog {
 public:
  explicit PostgresCatalog(std::unique_ptr<pg::Connection> conn) : conn_(std::move(conn)) {}

  Result<std::uint64_t> generation() override {
    auto r = exec("SELECT n FROM catalog_generation", {});
    if (!r) return tl::unexpected(r.error());
    if (PQntuples(r->get()) != 1) return ferry::fail(ferry::errc::io, "catalogue (PostgreSQL): catalog_generation has no row");
    return static_cast<std::uint64_t>(pg::integer(r->get(), 0, 0));
  }

  Result<Video> create(const NewVideo& nv) override {
    std::int64_t now = nowMs();
    auto r = exec("INSERT INTO videos(id, title, description, created_at_ms, thumbnail_type, owner_id) "
                  "VALUES($1,$2,$3,$4,$5,$6)",
                  {nv.id, nv.title, nv.description, std::to_string(now), optionalParam(nv.thumbnail_type),
                   optionalParam(nv.owner_id)});
    if (!r) return tl::unexpected(r.error());
    return Video{nv.id, nv.title, nv.description, now, nv.thumbnail_type, std::nullopt, false, nv.owner_id};
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
    return pg::changedRows(r->get());
  }

  Result<bool> setMediaFacts(const std::string& id, const MediaFacts& f,
                             const std::optional<std::string>& thumbnail_type) override {
    auto r = exec("UPDATE videos SET width = $1, height = $2, video_codec = $3, audio_codec = $4, "
                  "thumbnail_type = COALESCE(thumbnail_type, $5) WHERE id = $6",
                  {optionalParam(f.width), optionalParam(f.height), optionalParam(f.video_codec),
                   optionalParam(f.audio_codec), optionalParam(thumbnail_type), id});
    if (!r) return tl::unexpected(r.error());
    return pg::changedRows(r->get());
  }

  // A new movie's facts are cleared until the decoder has looked at it.
  Result<bool> setMovie(const std::string& id, const MovieInfo& m) override {
    auto r = exec("UPDATE videos SET movie_size = $1, movie_type = $2, movie_duration = $3, width = NULL, "
                  "height = NULL, video_codec = NULL, audio_codec = NULL WHERE id = $4",
                  {std::to_string(m.size), m.content_type, optionalParam(m.duration_seconds), id});
    if (!r) return tl::unexpected(r.error());
    return pg::changedRows(r->get());
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

  Result<bool> updateUpload(const UploadRecord& u, std::uint64_t expected_offset) override {
    auto r = exec("UPDATE uploads SET offset_bytes = $1, length = $2, expires_at_ms = $3, complete = $4 "
                  "WHERE token = $5 AND offset_bytes = $6",
                  {std::to_string(u.offset), optionalParam(u.length), std::to_string(u.expires_at_ms),
                   std::string(u.complete ? "true" : "false"), u.token, std::to_string(expected_offset)});
    if (!r) return tl::unexpected(r.error());
    return pg::changedRows(r->get());
  }

  Result<void> removeUpload(const std::string& token) override {
    auto r = exec("DELETE FROM uploads WHERE token = $1", {token});
    if (!r) return tl::unexpected(r.error());
    return {};
  }

  Result<std::vector<UploadRecord>> expiredUploads(std::int64_t now) override {
    return selectUploads("WHERE expires_at_ms <= $1", std::to_string(now));
  }

  Result<std::vector<UploadRecord>> uploadsOf(const std::string& video_id) override {
    return selectUploads("WHERE video_id = $1", video_id);
  }

  // A session advisory lock per upload, keyed by the token's first 60 bits (random: a collision
  // only makes one request wait for another's). Session locks stack within one session, and every
  // request of this instance shares this connection: exclusion within the instance comes from
  // UploadAppender superseding the running request (which releases the lock) before taking it.
  Result<std::unique_ptr<CatalogLock>> lockUpload(const std::string& token) override {
    return pg::AdvisoryLock::tryTake(*conn_, std::to_string(std::stoull(token.substr(0, 15), nullptr, 16)));
  }

  Result<std::unique_ptr<CatalogLock>> lockExpirySweep() override {
    return pg::AdvisoryLock::tryTake(*conn_, pg::kExpirySweepLock);
  }

 private:
  Result<std::vector<UploadRecord>> selectUploads(const std::string& where, const std::string& param) {
    auto r = exec(std::string("SELECT ") + kUploadColumns + " FROM uploads " + where, {param});
    if (!r) return tl::unexpected(r.error());
    std::vector<UploadRecord> out;
    for (int i = 0; i < PQntuples(r->get()); ++i) out.push_back(readUpload(r->get(), i));
    return out;
  }

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
    if (!isNull(r, i, 9)) v.owner_id = text(r, i, 9);
    if (v.movie) {
      auto& f = v.movie->facts;
      if (!isNull(r, i, 10)) f.width = static_cast<int>(integer(r, i, 10));
      if (!isNull(r, i, 11)) f.height = static_cast<int>(integer(r, i, 11));
      if (!isNull(r, i, 12)) f.video_codec = text(r, i, 12);
      if (!isNull(r, i, 13)) f.audio_codec = text(r, i, 13);
    }
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

  Result<PgResult> exec(const std::string& sql, const std::vector<Param>& params) { return conn_->exec(sql, params); }

  std::unique_ptr<pg::Connection> conn_;
};

}  // namespace

ferry::Result<std::unique_ptr<VideoCatalog>> openPostgresCatalog(const std::string& conninfo) {
  auto conn = pg::Connection::open(conninfo);
  if (!conn) return tl::unexpected(conn.error());
  return std::unique_ptr<VideoCatalog>(std::make_unique<PostgresCatalog>(std::move(*conn)));
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
