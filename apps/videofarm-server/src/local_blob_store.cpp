// The local-directory blob store: files under --data-dir (storage.hpp's layout). A new blob is a
// file in tmp/ renamed into videos/<id>/ after fdatasync; an upload is uploads/<token>, renamed
// into place when complete. Validators come from the file's stat, which every instance sharing
// the directory sees alike.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "blob_store.hpp"
#include "common/files.hpp"
#include "common/unique_fd.hpp"
#include "common/writeback.hpp"
#include "storage.hpp"

namespace vf {
namespace {

std::filesystem::path pathOf(const Storage& storage, const std::string& video_id, BlobKind kind) {
  return kind == BlobKind::Movie ? storage.moviePath(video_id) : storage.thumbnailPath(video_id);
}

// fdatasync'd `from` onto the video's movie or thumbnail (its directory made when missing).
ferry::Result<void> installFile(const Storage& storage, const std::filesystem::path& from, const std::string& video_id,
                                BlobKind kind) {
  if (auto r = ferry::files::makePrivateDirectory(storage.videoDir(video_id), 0755); !r) return r;
  return ferry::files::renameDurably(from, pathOf(storage, video_id, kind));
}

class LocalBlobReader final : public BlobReader {
 public:
  LocalBlobReader(ferry::UniqueFd fd, BlobInfo info) : fd_(std::move(fd)), info_(std::move(info)) {}
  const BlobInfo& info() const override { return info_; }
  int fd() const override { return fd_.get(); }

  ferry::Result<std::size_t> read(std::uint64_t offset, char* out, std::size_t n) override {
    while (true) {
      ssize_t got = ::pread(fd_.get(), out, n, static_cast<off_t>(offset));
      if (got >= 0) return static_cast<std::size_t>(got);
      if (errno != EINTR) return tl::unexpected(ferry::files::errnoError(errno, "read a stored blob"));
    }
  }

 private:
  ferry::UniqueFd fd_;
  BlobInfo info_;
};

// A movie or thumbnail being received: a TempFile, renamed into place by commitAs().
class LocalNewBlob final : public BlobWriter {
 public:
  LocalNewBlob(const Storage& storage, TempFile file) : storage_(storage), file_(std::move(file)) {}
  ferry::Result<void> write(std::string_view bytes) override { return file_.write(bytes); }
  std::uint64_t size() const override { return file_.size(); }
  ferry::Result<void> sync() override { return file_.sync(); }
  ferry::Result<void> cutBack(std::uint64_t) override {
    return ferry::fail(ferry::errc::invalid_state, "a new blob cannot continue after a failure; start it again");
  }
  ferry::Result<void> commitAs(const std::string& video_id, BlobKind kind) override {
    if (auto r = file_.sync(); !r) return r;
    auto r = installFile(storage_, file_.path(), video_id, kind);
    if (r) file_.forget();
    return r;
  }

 private:
  const Storage& storage_;
  TempFile file_;  // unlinked by its destructor unless installed
};

// uploads/<token>, appended at its end; bytes are durable after sync() (fdatasync).
class LocalUploadWriter final : public BlobWriter {
 public:
  LocalUploadWriter(const Storage& storage, std::string token, ferry::UniqueFd fd, std::uint64_t offset)
      : storage_(storage), token_(std::move(token)), fd_(std::move(fd)), written_(offset), writeback_(offset) {}

  ferry::Result<void> write(std::string_view bytes) override {
    if (auto r = ferry::files::writeAll(fd_.get(), bytes, written_, storage_.uploadPath(token_)); !r) return r;
    written_ += bytes.size();
    writeback_.wrote(fd_.get(), written_);  // started as bytes arrive, so sync() waits less
    return {};
  }
  std::uint64_t size() const override { return written_; }
  ferry::Result<void> sync() override {
    if (::fdatasync(fd_.get()) != 0)
      return tl::unexpected(ferry::files::errnoError(errno, "fdatasync " + storage_.uploadPath(token_).string()));
    return {};
  }
  ferry::Result<void> cutBack(std::uint64_t offset) override {
    if (::ftruncate(fd_.get(), static_cast<off_t>(offset)) != 0)
      return tl::unexpected(ferry::files::errnoError(errno, "truncate " + storage_.uploadPath(token_).string()));
    written_ = offset;
    writeback_.restartAt(offset);
    return {};
  }
  ferry::Result<void> commitAs(const std::string& video_id, BlobKind kind) override {
    if (auto r = sync(); !r) return r;
    return installFile(storage_, storage_.uploadPath(token_), video_id, kind);
  }

 private:
  const Storage& storage_;
  std::string token_;
  ferry::UniqueFd fd_;
  std::uint64_t written_;
  ferry::files::WritebackStarter writeback_;
};

class LocalBlobStore final : public BlobStore {
 public:
  explicit LocalBlobStore(const std::string& root) : storage_(root) {}

  std::string describe() const override { return "local directory " + storage_.root().string(); }

  ferry::Result<std::unique_ptr<BlobWriter>> create() override {
    auto file = TempFile::create(storage_);
    if (!file) return tl::unexpected(file.error());
    return std::unique_ptr<BlobWriter>(std::make_unique<LocalNewBlob>(storage_, std::move(*file)));
  }

  ferry::Result<std::unique_ptr<BlobReader>> open(const std::string& video_id, BlobKind kind) override {
    auto path = pathOf(storage_, video_id, kind);
    ferry::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st{};
    if (!fd) return tl::unexpected(ferry::files::errnoError(errno, "open " + path.string()));
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
      return ferry::fail(ferry::errc::not_found, path.string() + " is not a file");
    return std::unique_ptr<BlobReader>(std::make_unique<LocalBlobReader>(std::move(fd), localBlobInfo(st)));
  }

  ferry::Result<void> removeVideo(const std::string& video_id) override {
    std::error_code ec;
    std::filesystem::remove_all(storage_.videoDir(video_id), ec);
    if (ec) return ferry::fail(ferry::errc::io, "remove " + storage_.videoDir(video_id).string() + ": " + ec.message());
    return {};
  }

  ferry::Result<void> createUpload(const std::string& token) override {
    auto path = storage_.uploadPath(token);
    ferry::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd) return tl::unexpected(ferry::files::errnoError(errno, "create " + path.string()));
    return {};
  }

  ferry::Result<std::unique_ptr<BlobWriter>> openUpload(const std::string& token, std::uint64_t offset) override {
    auto path = storage_.uploadPath(token);
    ferry::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return tl::unexpected(ferry::files::errnoError(errno, "open " + path.string()));
    auto writer = std::make_unique<LocalUploadWriter>(storage_, token, std::move(fd), offset);
    if (auto r = writer->cutBack(offset); !r) return tl::unexpected(r.error());
    return std::unique_ptr<BlobWriter>(std::move(writer));
  }

  // A completed upload's file was renamed into place: nothing is left under its name.
  ferry::Result<void> removeUpload(const std::string& token, const std::string&) override {
    if (::unlink(storage_.uploadPath(token).c_str()) != 0 && errno != ENOENT)
      return tl::unexpected(ferry::files::errnoError(errno, "remove " + storage_.uploadPath(token).string()));
    return {};
  }

 private:
  Storage storage_;
};

}  // namespace

// Size, modification time (ns) and inode: a replaced file (new inode) always gets a new tag.
BlobInfo localBlobInfo(const struct stat& st) {
  char etag[96];
  std::snprintf(etag, sizeof etag, "\"%llx-%llx-%llx\"", static_cast<unsigned long long>(st.st_size),
                static_cast<unsigned long long>(st.st_mtim.tv_sec) * 1000000000ull +
                    static_cast<unsigned long long>(st.st_mtim.tv_nsec),
                static_cast<unsigned long long>(st.st_ino));
  return BlobInfo{static_cast<std::uint64_t>(st.st_size), etag, st.st_mtim.tv_sec};
}

std::unique_ptr<BlobStore> openLocalBlobStore(const std::string& data_dir) {
  return std::make_unique<LocalBlobStore>(data_dir);
}

}  // namespace vf
