// The Ceph RADOS blob store (layout: rados_objects.hpp). Writes go out as asynchronous chunk
// writes, a few in flight, so the network and the OSDs work while the next bytes arrive; sync()
// waits for every one to be acknowledged, and RADOS acknowledges a write once it is durable on
// every replica. Reads for GET are asynchronous (the I/O thread never waits on an OSD for them);
// the media probe and analysis read synchronously, the probe on the I/O thread as it does for a
// local file.
#include "blob_store.hpp"
#include "blob_store_url.hpp"

#ifdef VF_HAVE_LIBRADOS

#include <chrono>
#include <deque>

#include <spdlog/spdlog.h>

#include "rados_objects.hpp"
#include "storage.hpp"

namespace vf {
namespace {

using rados::kChunkBytes;
using rados::radosError;

std::uint64_t nowNs() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count());
}

std::uint64_t chunksFor(std::uint64_t size) { return (size + kChunkBytes - 1) / kChunkBytes; }

class RadosReader final : public BlobReader {
 public:
  RadosReader(rados_ioctx_t io, rados::Head head) : io_(io), head_(std::move(head)) {}
  const BlobInfo& info() const override { return head_.info; }

  ferry::Result<std::size_t> read(std::uint64_t offset, char* out, std::size_t n) override {
    std::size_t done = 0;
    while (done < n && offset + done < head_.info.size) {
      const auto piece = clamp(offset + done, n - done);
      const std::string name = rados::chunkName(head_.prefix, (offset + done) / kChunkBytes);
      int r = rados_read(io_, name.c_str(), out + done, piece, (offset + done) % kChunkBytes);
      if (r < 0) return tl::unexpected(radosError(r, "read " + name));
      if (r == 0) return ferry::fail(ferry::errc::io, "read " + name + ": the blob's chunk is shorter than its size");
      done += static_cast<std::size_t>(r);
    }
    return done;
  }

  // One chunk at most per call (fewer bytes at a chunk's end, as the interface allows).
  void readAsync(std::uint64_t offset, char* out, std::size_t n, ReadDone done) override {
    if (offset >= head_.info.size || n == 0) return done(std::size_t{0});
    struct Pending {
      ReadDone done;
      std::string name;
    };
    auto* pending = new Pending{std::move(done), rados::chunkName(head_.prefix, offset / kChunkBytes)};
    rados_completion_t c = nullptr;
    rados_aio_create_completion2(pending, [](rados_completion_t c, void* arg) {
      std::unique_ptr<Pending> p(static_cast<Pending*>(arg));
      int r = rados_aio_get_return_value(c);
      rados_aio_release(c);
      if (r < 0) return p->done(tl::unexpected(radosError(r, "read " + p->name)));
      p->done(static_cast<std::size_t>(r));
    }, &c);
    int r = rados_aio_read(io_, pending->name.c_str(), c, out, clamp(offset, n), offset % kChunkBytes);
    if (r < 0) {  // never started: the callback will not run
      std::unique_ptr<Pending> p(pending);
      rados_aio_release(c);
      p->done(tl::unexpected(radosError(r, "read " + p->name)));
    }
  }

 private:
  // Bytes from `offset` that are in its chunk and in the blob, at most `n`.
  std::size_t clamp(std::uint64_t offset, std::size_t n) const {
    const std::uint64_t chunk_left = kChunkBytes - offset % kChunkBytes;
    const std::uint64_t blob_left = head_.info.size - offset;
    return static_cast<std::size_t>(std::min<std::uint64_t>({n, chunk_left, blob_left}));
  }

  rados_ioctx_t io_;
  rados::Head head_;
};

// Chunks of `prefix` written in order from `offset`. A chunk's bytes go out as one asynchronous
// write once the chunk is full (or at sync()); at most kWritesInFlight are pending.
class RadosWriter final : public BlobWriter {
 public:
  // `upload`: an upload's chunks, kept when the writer goes; otherwise a new blob's, removed
  // unless committed.
  RadosWriter(rados_ioctx_t io, std::string prefix, std::uint64_t offset, bool upload)
      : io_(io), prefix_(std::move(prefix)), size_(offset), pending_start_(offset), upload_(upload) {}

  ~RadosWriter() override {
    drain();
    if (upload_ || committed_) return;
    if (auto r = rados::removeChunks(io_, prefix_, 0, chunksFor(size_)); !r)
      spdlog::warn("an unfinished blob's chunks {}.* stay in the pool: {}", prefix_, r.error().describe());
  }

  ferry::Result<void> write(std::string_view bytes) override {
    if (failure_) return tl::unexpected(*failure_);
    while (!bytes.empty()) {
      const std::uint64_t end = pending_start_ + pending_.size();
      const std::uint64_t room = kChunkBytes - end % kChunkBytes;
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(room, bytes.size()));
      if (pending_.capacity() < kChunkBytes) pending_.reserve(kChunkBytes);  // once per writer
      pending_.append(bytes.substr(0, take));
      bytes.remove_prefix(take);
      size_ += take;
      if (take == room) {
        if (auto r = submit(); !r) return r;
      }
    }
    return {};
  }

  std::uint64_t size() const override { return size_; }

  ferry::Result<void> sync() override {
    if (auto r = submit(); !r) return r;
    while (!in_flight_.empty()) reapOldest();
    if (failure_) return tl::unexpected(*failure_);
    return {};
  }

  ferry::Result<void> cutBack(std::uint64_t offset) override {
    drain();
    failure_.reset();
    pending_.clear();
    if (auto r = rados::truncateChunks(io_, prefix_, offset); !r) return r;
    size_ = pending_start_ = offset;
    return {};
  }

  ferry::Result<void> commitAs(const std::string& video_id, BlobKind kind) override {
    if (auto r = sync(); !r) return r;
    rados::Head head;
    head.prefix = prefix_;
    head.mtime_ns = nowNs();
    head.info.size = size_;
    head.info.last_modified = static_cast<std::time_t>(head.mtime_ns / 1000000000ull);
    char etag[96];
    std::snprintf(etag, sizeof etag, "\"%llx-%llx-%s\"", static_cast<unsigned long long>(size_),
                  static_cast<unsigned long long>(head.mtime_ns), prefix_.substr(prefix_.size() - 12).c_str());
    head.info.etag = etag;
    auto replaced = rados::replaceHead(io_, rados::headName(video_id, kind), head);
    if (!replaced) return tl::unexpected(replaced.error());
    committed_ = true;
    // The replaced blob's chunks go; a reader still sending it gets an error and its client asks
    // again (If-Range tells it the movie changed).
    if (*replaced && (*replaced)->prefix != prefix_)
      (void)rados::removeChunks(io_, (*replaced)->prefix, 0, chunksFor((*replaced)->info.size));
    return {};
  }

 private:
  struct Write {
    std::string name;
    rados_completion_t done = nullptr;
  };

  // Sends the pending bytes (never more than the rest of one chunk). librados's C calls copy the
  // bytes into their own buffer before they return, so pending_ is free again at once.
  ferry::Result<void> submit() {
    if (pending_.empty()) return {};
    Write w{rados::chunkName(prefix_, pending_start_ / kChunkBytes), nullptr};
    const std::uint64_t within = pending_start_ % kChunkBytes;
    rados_aio_create_completion2(nullptr, nullptr, &w.done);
    // A chunk written from its start replaces the whole object, so bytes a cut attempt left
    // behind in it never survive.
    int r = within == 0 ? rados_aio_write_full(io_, w.name.c_str(), w.done, pending_.data(), pending_.size())
                        : rados_aio_write(io_, w.name.c_str(), w.done, pending_.data(), pending_.size(), within);
    pending_start_ += pending_.size();
    pending_.clear();  // keeps its capacity for the next chunk
    if (r < 0) {
      rados_aio_release(w.done);
      failure_ = radosError(r, "write " + w.name);
      return tl::unexpected(*failure_);
    }
    in_flight_.push_back(std::move(w));
    while (in_flight_.size() > rados::kWritesInFlight) reapOldest();
    if (failure_) return tl::unexpected(*failure_);
    return {};
  }

  void reapOldest() {
    Write& w = in_flight_.front();
    rados_aio_wait_for_complete(w.done);
    int r = rados_aio_get_return_value(w.done);
    rados_aio_release(w.done);
    if (r < 0 && !failure_) failure_ = radosError(r, "write " + w.name);
    in_flight_.pop_front();
  }

  void drain() {
    while (!in_flight_.empty()) reapOldest();
  }

  rados_ioctx_t io_;
  std::string prefix_;
  std::uint64_t size_;           // bytes accepted
  std::string pending_;          // bytes not sent yet, from pending_start_, within one chunk
  std::uint64_t pending_start_;
  std::deque<Write> in_flight_;
  std::optional<ferry::Error> failure_;  // the first failed write: every later call reports it
  bool upload_;
  bool committed_ = false;
};

class RadosBlobStore final : public BlobStore {
 public:
  explicit RadosBlobStore(std::unique_ptr<rados::Pool> pool) : pool_(std::move(pool)) {}

  std::string describe() const override { return "RADOS pool " + pool_->name(); }

  ferry::Result<std::unique_ptr<BlobWriter>> create() override {
    return std::unique_ptr<BlobWriter>(
        std::make_unique<RadosWriter>(pool_->io(), "blob." + randomId(kUploadTokenDigits), 0, false));
  }

  ferry::Result<std::unique_ptr<BlobReader>> open(const std::string& video_id, BlobKind kind) override {
    auto name = rados::headName(video_id, kind);
    auto head = rados::readHead(pool_->io(), name);
    if (!head) return tl::unexpected(head.error());
    if (!*head) return ferry::fail(ferry::errc::not_found, "no object " + name + " in pool " + pool_->name());
    return std::unique_ptr<BlobReader>(std::make_unique<RadosReader>(pool_->io(), std::move(**head)));
  }

  ferry::Result<void> removeVideo(const std::string& video_id) override {
    for (BlobKind kind : {BlobKind::Movie, BlobKind::Thumbnail}) {
      auto name = rados::headName(video_id, kind);
      auto head = rados::readHead(pool_->io(), name);
      if (!head) return tl::unexpected(head.error());
      if (!*head) continue;
      // The head first: from then on nobody is sent to the chunks.
      if (int r = rados_remove(pool_->io(), name.c_str()); r < 0 && r != -ENOENT)
        return tl::unexpected(radosError(r, "remove " + name));
      if (auto r = rados::removeChunks(pool_->io(), (*head)->prefix, 0, chunksFor((*head)->info.size)); !r) return r;
    }
    return {};
  }

  // An upload has no object until its first byte arrives.
  ferry::Result<void> createUpload(const std::string&) override { return {}; }

  ferry::Result<std::unique_ptr<BlobWriter>> openUpload(const std::string& token, std::uint64_t offset) override {
    const std::string prefix = uploadPrefix(token);
    if (auto r = rados::truncateChunks(pool_->io(), prefix, offset); !r) return tl::unexpected(r.error());
    return std::unique_ptr<BlobWriter>(std::make_unique<RadosWriter>(pool_->io(), prefix, offset, true));
  }

  ferry::Result<void> removeUpload(const std::string& token, const std::string& video_id) override {
    auto movie = rados::readHead(pool_->io(), rados::headName(video_id, BlobKind::Movie));
    if (!movie) return tl::unexpected(movie.error());
    if (*movie && (*movie)->prefix == uploadPrefix(token)) return {};  // its chunks are the movie now
    return rados::removeChunks(pool_->io(), uploadPrefix(token), 0, std::nullopt);
  }

  void drain() override { rados_aio_flush(pool_->io()); }

 private:
  static std::string uploadPrefix(const std::string& token) { return "blob." + token; }

  std::unique_ptr<rados::Pool> pool_;
};

}  // namespace

ferry::Result<std::unique_ptr<BlobStore>> openRadosBlobStore(const RadosLocation& where) {
  auto pool = rados::Pool::connect(where);
  if (!pool) return tl::unexpected(pool.error());
  return std::unique_ptr<BlobStore>(std::make_unique<RadosBlobStore>(std::move(*pool)));
}

}  // namespace vf

#else

namespace vf {

ferry::Result<std::unique_ptr<BlobStore>> openRadosBlobStore(const RadosLocation&) {
  return ferry::fail(ferry::errc::invalid_argument,
                     "--blob-store: this build has no Ceph support (librados-dev was missing); leave the option out "
                     "to keep blobs in --data-dir");
}

}  // namespace vf

#endif
