// The PostgreSQL catalogue's schema. Every statement is idempotent (IF NOT EXISTS), so a database
// made by an older server gets the new columns and tables at the next start, and instances
// starting together take turns under an advisory lock (concurrent CREATE ... IF NOT EXISTS can
// otherwise collide). Videos from before accounts keep a NULL owner: administrators only.
#include "pg_connection.hpp"

#ifdef VF_HAVE_LIBPQ

namespace vf::pg {
namespace {

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
ALTER TABLE videos ADD COLUMN IF NOT EXISTS owner_id TEXT;
ALTER TABLE videos ADD COLUMN IF NOT EXISTS width INTEGER;
ALTER TABLE videos ADD COLUMN IF NOT EXISTS height INTEGER;
ALTER TABLE videos ADD COLUMN IF NOT EXISTS video_codec TEXT;
ALTER TABLE videos ADD COLUMN IF NOT EXISTS audio_codec TEXT;
CREATE TABLE IF NOT EXISTS users(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  admin BOOLEAN NOT NULL DEFAULT FALSE,
  created_at_ms BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens(
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  digest TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  label TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS tokens_by_user ON tokens(user_id);
CREATE TABLE IF NOT EXISTS catalog_generation(n BIGINT NOT NULL);
INSERT INTO catalog_generation SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM catalog_generation);
CREATE OR REPLACE FUNCTION bump_catalog_generation() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN UPDATE catalog_generation SET n = n + 1; RETURN NULL; END $$;
CREATE OR REPLACE TRIGGER videos_changed AFTER INSERT OR UPDATE OR DELETE ON videos
  FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE OR REPLACE TRIGGER uploads_opened_or_removed AFTER INSERT OR DELETE ON uploads
  FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_generation();
CREATE OR REPLACE TRIGGER uploads_completed AFTER UPDATE OF complete ON uploads
  FOR EACH ROW WHEN (OLD.complete IS DISTINCT FROM NEW.complete) EXECUTE FUNCTION bump_catalog_generation();
)sql";

// Any number serves as the lock id; it only has to be the same for every instance.
constexpr const char* kSchemaLock = "SELECT pg_advisory_lock(7261536)";
constexpr const char* kSchemaUnlock = "SELECT pg_advisory_unlock(7261536)";

}  // namespace

ferry::Result<void> migrate(Connection& conn) {
  for (const char* sql : {kSchemaLock, kPostgresSchema, kSchemaUnlock}) {
    if (auto r = conn.script(sql); !r)
      return ferry::fail(ferry::errc::io, "cannot create the catalogue schema in " + r.error().describe());
  }
  return {};
}

}  // namespace vf::pg

#endif
