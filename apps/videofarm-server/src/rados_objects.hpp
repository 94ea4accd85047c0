#pragma once
// The RADOS side of the blob store (rados_blob_store.cpp): the connection, and the object layout
// every instance agrees on.
//
// A blob's bytes are fixed-size chunk objects "blob.<32 hex>.<8 hex index>" of kChunkBytes each
// (the last one shorter). A video's movie and thumbnail are small head objects "movie.<id>" and
// "thumbnail.<id>" whose attributes name the chunks' prefix and hold the size, the modification
// time and the ETag: replacing a movie is one atomic write of its head (compare-and-set on the
// prefix), after the new chunks are durable. An upload's chunks are "blob.<token>.*" from its
// first byte, so that completing it is a head write too, never a copy. docs/videofarm-server.md,
// "Blob stores", says why chunks of our own rather than libradosstriper.
#ifdef VF_HAVE_LIBRADOS

#include <rados/librados.h>

#include <cstdint>
#include <optional>
#include <string>

#include "blob_store.hpp"
#include "blob_store_url.hpp"
#include "common/error.hpp"

namespace vf::rados {

inline constexpr std::uint64_t kChunkBytes = 4ull << 20;
// Chunk writes of one writer in flight at once (librados holds a copy of each one's bytes).
inline constexpr std::size_t kWritesInFlight = 3;

// librados's negative errno as an error: timeout and network failures mean "try again later".
ferry::Error radosError(int r, const std::string& what);

// One cluster connection and one pool's I/O context, for the life of the server.
class Pool {
 public:
  static ferry::Result<std::unique_ptr<Pool>> connect(const RadosLocation& where);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  rados_ioctx_t io() const { return io_; }
  const std::string& name() const { return name_; }

 private:
  Pool(rados_t cluster, rados_ioctx_t io, std::string name) : cluster_(cluster), io_(io), name_(std::move(name)) {}
  rados_t cluster_;
  rados_ioctx_t io_;
  std::string name_;
};

std::string chunkName(const std::string& prefix, std::uint64_t index);
std::string headName(const std::string& video_id, BlobKind kind);

// What a head object says.
struct Head {
  std::string prefix;
  BlobInfo info;
  std::uint64_t mtime_ns = 0;
};

// nullopt when there is no head (no such blob).
ferry::Result<std::optional<Head>> readHead(rados_ioctx_t io, const std::string& name);
// Points `name` at `head`, atomically; returns the head it replaced, if any.
ferry::Result<std::optional<Head>> replaceHead(rados_ioctx_t io, const std::string& name, const Head& head);

// Removes chunks `first`, `first`+1, ... of `prefix`: `count` of them, or (count = nullopt) up to
// the first run of missing ones longer than a writer can leave behind.
ferry::Result<void> removeChunks(rados_ioctx_t io, const std::string& prefix, std::uint64_t first,
                                 std::optional<std::uint64_t> count);
// Drops every byte of `prefix`'s chunks from `offset` on.
ferry::Result<void> truncateChunks(rados_ioctx_t io, const std::string& prefix, std::uint64_t offset);

}  // namespace vf::rados

#endif
