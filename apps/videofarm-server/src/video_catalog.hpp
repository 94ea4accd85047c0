#pragma once
// The catalogue of videos and unfinished resumable uploads, behind one interface so the server
// runs on SQLite (embedded default) or PostgreSQL (several instances sharing one catalogue).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace vf {

// What the decoder found in a movie (media_analysis.cpp); empty when it could not tell.
struct MediaFacts {
  std::optional<int> width;
  std::optional<int> height;
  std::optional<std::string> video_codec;
  std::optional<std::string> audio_codec;
};

struct MovieInfo {
  std::uint64_t size = 0;
  std::string content_type;
  std::optional<double> duration_seconds;
  MediaFacts facts;  // filled in after the movie is in place, off the I/O thread
};

struct Video {
  std::string id;
  std::string title;
  std::string description;
  std::int64_t created_at_ms = 0;
  std::optional<std::string> thumbnail_type;
  std::optional<MovieInfo> movie;
  bool upload_in_progress = false;
  std::optional<std::string> owner_id;  // the user who created it; none for videos older than accounts
};

struct NewVideo {
  std::string id;
  std::string title;
  std::string description;
  std::optional<std::string> thumbnail_type;
  std::optional<std::string> owner_id;
};

// An unfinished resumable upload of a video's movie.
struct UploadRecord {
  std::string token;                    // the upload resource's id (in its URL)
  std::string video_id;
  std::string protocol;                 // "ietf" or "tus"
  std::optional<std::uint64_t> length;  // total length, once known
  std::uint64_t offset = 0;             // bytes made durable (fdatasync'd), never more
  std::int64_t expires_at_ms = 0;
  std::string metadata;                 // tus Upload-Metadata as sent
  bool complete = false;                // became the movie; kept until expiry to answer HEAD
};

// An exclusive right kept in the catalogue, released by the destructor. PostgreSQL: a session
// advisory lock, which goes with the instance's connection, so an instance that is killed never
// blocks the others. SQLite: held in this process (one process per catalogue file).
class CatalogLock {
 public:
  virtual ~CatalogLock() = default;
  // False once the lock may have been lost (the connection to PostgreSQL was re-established).
  virtual bool held() const { return true; }
};

class VideoCatalog {
 public:
  virtual ~VideoCatalog() = default;

  // A number that changes with every change a video's JSON or the list shows (a video made,
  // changed or removed; an upload opened, completed or removed), made by this instance or any
  // other on the same catalogue: a trigger bumps it inside the writing transaction. The server
  // keeps rendered answers while it stays the same (catalogue_cache.hpp).
  virtual ferry::Result<std::uint64_t> generation() = 0;

  virtual ferry::Result<Video> create(const NewVideo& video) = 0;
  virtual ferry::Result<std::optional<Video>> find(const std::string& id) = 0;
  // Newest first; `after` is the id of the last video of the previous page.
  virtual ferry::Result<std::vector<Video>> list(std::size_t limit, const std::optional<std::string>& after) = 0;
  // False when there was no such video. Removes its uploads' records too.
  virtual ferry::Result<bool> remove(const std::string& id) = 0;
  // False when the video no longer exists.
  virtual ferry::Result<bool> setMovie(const std::string& id, const MovieInfo& movie) = 0;
  // Records what the decoder found and, when one was made, the generated thumbnail's type. The
  // thumbnail is set only where there is none yet (one sent with the form wins). False when the
  // video no longer exists.
  virtual ferry::Result<bool> setMediaFacts(const std::string& id, const MediaFacts& facts,
                                            const std::optional<std::string>& thumbnail_type) = 0;

  virtual ferry::Result<void> createUpload(const UploadRecord& upload) = 0;
  virtual ferry::Result<std::optional<UploadRecord>> findUpload(const std::string& token) = 0;
  // Stores offset, length, expiry and completeness of an existing upload, only while its stored
  // offset is still `expected_offset`. False when it is not (another request appended) or the
  // upload is gone.
  virtual ferry::Result<bool> updateUpload(const UploadRecord& upload, std::uint64_t expected_offset) = 0;
  virtual ferry::Result<void> removeUpload(const std::string& token) = 0;
  virtual ferry::Result<std::vector<UploadRecord>> expiredUploads(std::int64_t now_ms) = 0;
  // The uploads of one video (their bytes go with it).
  virtual ferry::Result<std::vector<UploadRecord>> uploadsOf(const std::string& video_id) = 0;

  // The right to append to an upload, exclusive across every instance on this catalogue; null
  // when another request (here or on another instance) holds it.
  virtual ferry::Result<std::unique_ptr<CatalogLock>> lockUpload(const std::string& token) = 0;
  // The right to remove expired uploads; null while another instance is doing it.
  virtual ferry::Result<std::unique_ptr<CatalogLock>> lockExpirySweep() = 0;
};

// SQLite file at `path` (created, WAL).
ferry::Result<std::unique_ptr<VideoCatalog>> openSqliteCatalog(const std::string& path);
// PostgreSQL through libpq; `conninfo` is a postgresql:// URI.
ferry::Result<std::unique_ptr<VideoCatalog>> openPostgresCatalog(const std::string& conninfo);

std::int64_t nowMs();

}  // namespace vf
