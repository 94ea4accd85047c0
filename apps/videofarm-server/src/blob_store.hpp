#pragma once
// Where the bytes of movies, thumbnails and unfinished resumable uploads live: one role, two
// implementations, as the catalogue has two. The local directory (--data-dir, the default) and
// Ceph RADOS (--blob-store rados://POOL?conf=PATH&id=CLIENT, so that instances on several machines
// share them). The catalogue says what exists; the store holds the bytes and the validators that
// GET answers with, so that every instance answers the same ones (docs/videofarm-server.md,
// "Blob stores").
//
// Rules every implementation keeps:
// - a blob being written is invisible until commitAs(), which makes it durable first and then
//   the video's movie or thumbnail in one atomic step, replacing the one before (whose bytes go);
// - an upload's bytes below the offset its writer reported durable (sync()) survive a crash of
//   this process; bytes past it may be lost, and opening the upload at its recorded offset drops
//   them;
// - failures come back as ferry::Result: not-found (no such blob), timeout / network (the store
//   does not answer: the client should try again later), no-space, io.

#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.hpp"

struct stat;

namespace vf {

enum class BlobKind { Movie, Thumbnail };

// The validators of a committed blob, kept with it (a local file's stat; RADOS: the head object's
// attributes), so that every instance derives the same ETag and Last-Modified.
struct BlobInfo {
  std::uint64_t size = 0;
  std::string etag;  // strong, quoted
  std::time_t last_modified = 0;
};

// Reads one committed blob. Safe to use from any one thread at a time.
class BlobReader {
 public:
  using ReadDone = std::function<void(ferry::Result<std::size_t>)>;

  virtual ~BlobReader() = default;
  virtual const BlobInfo& info() const = 0;
  // Reads up to `n` bytes at `offset` (fewer only at the end of the blob). Blocks.
  virtual ferry::Result<std::size_t> read(std::uint64_t offset, char* out, std::size_t n) = 0;
  // The same without blocking the caller; `done` runs on another thread (the store's) or before
  // this returns. `out` must stay valid until then.
  virtual void readAsync(std::uint64_t offset, char* out, std::size_t n, ReadDone done) { done(read(offset, out, n)); }
  // A descriptor of the blob's local file, for sendfile(2); -1 when the bytes are elsewhere.
  virtual int fd() const { return -1; }
};

// Writes a new blob (or an upload) sequentially, from size() on.
class BlobWriter {
 public:
  // Uncommitted: a new blob's bytes are removed; an upload keeps what sync() made durable.
  virtual ~BlobWriter() = default;
  // Appends. May keep the bytes in flight; a failure of an earlier write comes back here or from
  // sync().
  virtual ferry::Result<void> write(std::string_view bytes) = 0;
  // Bytes accepted so far (not necessarily durable).
  virtual std::uint64_t size() const = 0;
  // Every byte accepted so far is durable when this returns.
  virtual ferry::Result<void> sync() = 0;
  // After a failed write or sync: forget what was written past `offset` (durable before) and
  // continue from there.
  virtual ferry::Result<void> cutBack(std::uint64_t offset) = 0;
  // sync(), then the blob becomes the video's movie or thumbnail; the one it replaces is removed.
  virtual ferry::Result<void> commitAs(const std::string& video_id, BlobKind kind) = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // For the log: "local directory /srv/videofarm", "RADOS pool videofarm".
  virtual std::string describe() const = 0;

  // A new blob for a movie or a thumbnail.
  virtual ferry::Result<std::unique_ptr<BlobWriter>> create() = 0;
  // The video's movie or thumbnail; not-found when it has none.
  virtual ferry::Result<std::unique_ptr<BlobReader>> open(const std::string& video_id, BlobKind kind) = 0;
  // The video's movie and thumbnail; nothing to remove is no failure.
  virtual ferry::Result<void> removeVideo(const std::string& video_id) = 0;

  // A resumable upload's bytes, named by its token. A new upload is empty.
  virtual ferry::Result<void> createUpload(const std::string& token) = 0;
  // Opens the upload for appending at `durable_offset` (its recorded offset): bytes that reached
  // the store past it were never reported and are dropped.
  virtual ferry::Result<std::unique_ptr<BlobWriter>> openUpload(const std::string& token,
                                                                std::uint64_t durable_offset) = 0;
  // An unfinished upload's bytes. Bytes that became `video_id`'s movie stay (an upload completed
  // just before a crash kept its record unfinished).
  virtual ferry::Result<void> removeUpload(const std::string& token, const std::string& video_id) = 0;

  // Waits for asynchronous reads still running: at shutdown, before the I/O thread's queue goes,
  // so that no completion posts to it afterwards.
  virtual void drain() {}
};

// The validators of a local file (static files use them too): size, mtime and inode.
BlobInfo localBlobInfo(const struct stat& st);

// The local directory: files under `data_dir` (storage.hpp's layout). Throws on start-up failure.
std::unique_ptr<BlobStore> openLocalBlobStore(const std::string& data_dir);
// The store a --blob-store value names ("" or "local": the data directory). A malformed value or
// a cluster that cannot be reached is an error that says what to fix.
ferry::Result<std::unique_ptr<BlobStore>> openBlobStore(const std::string& spec, const std::string& data_dir);

}  // namespace vf
