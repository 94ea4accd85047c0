#include "rados_objects.hpp"

#ifdef VF_HAVE_LIBRADOS

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>

namespace vf::rados {
namespace {

// The attributes of a head object.
constexpr const char* kPrefixAttr = "vf.data";
constexpr const char* kSizeAttr = "vf.size";
constexpr const char* kMtimeAttr = "vf.mtime_ns";
constexpr const char* kEtagAttr = "vf.etag";

// How long a call may wait for the cluster unless ceph.conf says otherwise: librados's default is
// to wait for ever, which would hang a request (and the I/O thread) while an OSD is down.
constexpr const char* kDefaultOpTimeout = "30";
constexpr const char* kDefaultMountTimeout = "15";

// Removals in flight at once; also the run of missing chunks that ends an open-ended removal
// (a writer leaves at most kWritesInFlight gaps behind a failed chunk).
constexpr std::size_t kRemovalBatch = 16;
static_assert(kRemovalBatch > kWritesInFlight + 1);

void setUnlessConfigured(rados_t cluster, const char* option, const char* fallback, const char* unset) {
  char value[64] = {};
  if (rados_conf_get(cluster, option, value, sizeof value) == 0 && std::strcmp(value, unset) == 0)
    rados_conf_set(cluster, option, fallback);
}

std::optional<std::uint64_t> number(const std::string& s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n;
}

struct CompletionReleaser {
  void operator()(void* c) const { rados_aio_release(static_cast<rados_completion_t>(c)); }
};
using Completion = std::unique_ptr<void, CompletionReleaser>;

Completion newCompletion() {
  rados_completion_t c = nullptr;
  rados_aio_create_completion2(nullptr, nullptr, &c);
  return Completion(c);
}

int waitFor(const Completion& c) {
  rados_aio_wait_for_complete(c.get());
  return rados_aio_get_return_value(c.get());
}

}  // namespace

ferry::Error radosError(int r, const std::string& what) {
  const int err = -r;
  std::string text = what + ": " + std::strerror(err);
  switch (err) {
    case ETIMEDOUT:
      return {ferry::errc::timeout, text + " (the Ceph cluster did not answer in time; try again later)"};
    case ENOTCONN:
    case ECONNREFUSED:
    case ESHUTDOWN:
    case EHOSTUNREACH:
      return {ferry::errc::network, text + " (the Ceph cluster cannot be reached; try again later)"};
    case ENOENT: return {ferry::errc::not_found, text};
    case ENOSPC:
    case EDQUOT: return {ferry::errc::no_space, text + " (the pool is full)"};
    case EACCES:
    case EPERM: return {ferry::errc::permission_denied, text + " (check the client's caps on the pool)"};
    default: return {ferry::errc::io, text};
  }
}

ferry::Result<std::unique_ptr<Pool>> Pool::connect(const RadosLocation& where) {
  rados_t cluster = nullptr;
  std::string name = "client." + where.client_id;
  if (int r = rados_create2(&cluster, "ceph", name.c_str(), 0); r < 0)
    return tl::unexpected(radosError(r, "--blob-store: cannot set up a RADOS client " + name));
  auto fail = [&](int r, const std::string& what) {
    rados_shutdown(cluster);
    return tl::unexpected(radosError(r, "--blob-store: " + what));
  };
  if (int r = rados_conf_read_file(cluster, where.conf.c_str()); r < 0) return fail(r, "cannot read " + where.conf);
  setUnlessConfigured(cluster, "rados_osd_op_timeout", kDefaultOpTimeout, "0");
  setUnlessConfigured(cluster, "rados_mon_op_timeout", kDefaultOpTimeout, "0");
  setUnlessConfigured(cluster, "client_mount_timeout", kDefaultMountTimeout, "300");
  if (int r = rados_connect(cluster); r < 0)
    return fail(r, "cannot connect to the Ceph cluster of " + where.conf + " as " + name);
  rados_ioctx_t io = nullptr;
  if (int r = rados_ioctx_create(cluster, where.pool.c_str(), &io); r < 0) {
    if (r == -ENOENT) {
      rados_shutdown(cluster);
      return ferry::fail(ferry::errc::not_found, "--blob-store: the Ceph cluster has no pool \"" + where.pool +
                                                     "\"; create it (ceph osd pool create " + where.pool + ")");
    }
    return fail(r, "cannot open the pool " + where.pool);
  }
  return std::unique_ptr<Pool>(new Pool(cluster, io, where.pool));
}

Pool::~Pool() {
  rados_aio_flush(io_);
  rados_ioctx_destroy(io_);
  rados_shutdown(cluster_);
}

std::string chunkName(const std::string& prefix, std::uint64_t index) {
  char suffix[24];
  std::snprintf(suffix, sizeof suffix, ".%08llx", static_cast<unsigned long long>(index));
  return prefix + suffix;
}

std::string headName(const std::string& video_id, BlobKind kind) {
  return (kind == BlobKind::Movie ? "movie." : "thumbnail.") + video_id;
}

ferry::Result<std::optional<Head>> readHead(rados_ioctx_t io, const std::string& name) {
  rados_xattrs_iter_t it = nullptr;
  int r = rados_getxattrs(io, name.c_str(), &it);
  if (r == -ENOENT) return std::optional<Head>();
  if (r < 0) return tl::unexpected(radosError(r, "read " + name));
  std::map<std::string, std::string> attrs;
  const char* key = nullptr;
  const char* value = nullptr;
  std::size_t len = 0;
  while (rados_getxattrs_next(it, &key, &value, &len) == 0 && key != nullptr) attrs[key] = std::string(value, len);
  rados_getxattrs_end(it);
  Head head;
  head.prefix = attrs[kPrefixAttr];
  auto size = number(attrs[kSizeAttr]);
  auto mtime = number(attrs[kMtimeAttr]);
  head.info.etag = attrs[kEtagAttr];
  if (head.prefix.empty() || !size || !mtime || head.info.etag.empty())
    return ferry::fail(ferry::errc::io, "the head object " + name + " is damaged (its attributes are missing)");
  head.info.size = *size;
  head.mtime_ns = *mtime;
  head.info.last_modified = static_cast<std::time_t>(*mtime / 1000000000ull);
  return std::optional<Head>(std::move(head));
}

ferry::Result<std::optional<Head>> replaceHead(rados_ioctx_t io, const std::string& name, const Head& head) {
  const std::string size = std::to_string(head.info.size);
  const std::string mtime = std::to_string(head.mtime_ns);
  // Two instances replacing one movie at once: the loser sees the winner's head and goes again,
  // so that every replaced prefix is removed exactly once.
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto old = readHead(io, name);
    if (!old) return tl::unexpected(old.error());
    rados_write_op_t op = rados_create_write_op();
    if (*old) {
      rados_write_op_cmpxattr(op, kPrefixAttr, LIBRADOS_CMPXATTR_OP_EQ, (*old)->prefix.data(), (*old)->prefix.size());
    } else {
      rados_write_op_create(op, LIBRADOS_CREATE_EXCLUSIVE, nullptr);
    }
    rados_write_op_setxattr(op, kPrefixAttr, head.prefix.data(), head.prefix.size());
    rados_write_op_setxattr(op, kSizeAttr, size.data(), size.size());
    rados_write_op_setxattr(op, kMtimeAttr, mtime.data(), mtime.size());
    rados_write_op_setxattr(op, kEtagAttr, head.info.etag.data(), head.info.etag.size());
    int r = rados_write_op_operate(op, io, name.c_str(), nullptr, 0);
    rados_release_write_op(op);
    if (r == 0) return *old;
    if (r != -ECANCELED && r != -EEXIST) return tl::unexpected(radosError(r, "write " + name));
  }
  return ferry::fail(ferry::errc::io, "write " + name + ": replaced by others too often; try again");
}

ferry::Result<void> removeChunks(rados_ioctx_t io, const std::string& prefix, std::uint64_t first,
                                 std::optional<std::uint64_t> count) {
  std::uint64_t index = first;
  const std::uint64_t end = count ? first + *count : UINT64_MAX;
  while (index < end) {
    std::deque<std::pair<std::string, Completion>> batch;
    for (std::size_t i = 0; i < kRemovalBatch && index < end; ++i, ++index) {
      batch.emplace_back(chunkName(prefix, index), newCompletion());
      rados_aio_remove(io, batch.back().first.c_str(), batch.back().second.get());
    }
    std::size_t missing = 0;
    std::optional<ferry::Error> failure;
    for (auto& [name, done] : batch) {
      int r = waitFor(done);
      if (r == -ENOENT) ++missing;
      else if (r < 0 && !failure) failure = radosError(r, "remove " + name);
    }
    if (failure) return tl::unexpected(*failure);
    if (!count && missing == batch.size()) break;
  }
  return {};
}

ferry::Result<void> truncateChunks(rados_ioctx_t io, const std::string& prefix, std::uint64_t offset) {
  const std::uint64_t index = offset / kChunkBytes;
  const std::uint64_t within = offset % kChunkBytes;
  if (within > 0) {
    std::string name = chunkName(prefix, index);
    int r = rados_trunc(io, name.c_str(), within);
    if (r < 0 && r != -ENOENT) return tl::unexpected(radosError(r, "truncate " + name));
  }
  return removeChunks(io, prefix, within > 0 ? index + 1 : index, std::nullopt);
}

}  // namespace vf::rados

#endif
