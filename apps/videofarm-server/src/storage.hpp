#pragma once
// The local blob store's files under --data-dir (local_blob_store.cpp): videos/<id>/{movie,thumbnail},
// tmp/ for bodies being received and uploads/<token> for resumable uploads. Everything lands in place by rename(2) on one file
// system, so a reader never sees a half-written file.

#include <cstdint>
#include <filesystem>
#include <future>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "common/write_behind.hpp"
#include "common/writeback.hpp"

namespace vf {

class Storage {
 public:
  explicit Storage(std::filesystem::path root);  // creates the layout; throws on failure (start-up)

  std::filesystem::path videoDir(const std::string& id) const { return root_ / "videos" / id; }
  std::filesystem::path moviePath(const std::string& id) const { return videoDir(id) / "movie"; }
  std::filesystem::path thumbnailPath(const std::string& id) const { return videoDir(id) / "thumbnail"; }
  std::filesystem::path uploadPath(const std::string& token) const { return root_ / "uploads" / token; }
  std::filesystem::path tmpDir() const { return root_ / "tmp"; }
  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

// A file being written under tmp/: unlinked by the destructor unless moved into place. Writeback
// starts every few megabytes as it is written, so the fdatasync before it is installed is short.
class TempFile {
 public:
  static ferry::Result<TempFile> create(const Storage& storage);
  TempFile(TempFile&& other) noexcept;
  TempFile& operator=(TempFile&& other) noexcept;
  ~TempFile();

  // Big chunks are written on ferry::files::WriteBehind while the next is read from the socket; a
  // failure of that write is returned by the next write() or sync().
  ferry::Result<void> write(std::string_view bytes);
  std::uint64_t size() const { return size_; }  // bytes accepted by write()
  int fd() const { return fd_.get(); }
  // fdatasync, rename onto `target`, fsync target's directory.
  ferry::Result<void> commitTo(const std::filesystem::path& target);
  ferry::Result<void> sync();
  const std::filesystem::path& path() const { return path_; }
  // The file was renamed away by someone else: do not unlink it.
  void forget() { path_.clear(); }

 private:
  TempFile(ferry::UniqueFd fd, std::filesystem::path path) : fd_(std::move(fd)), path_(std::move(path)) {}
  // Waits for the write in flight, if any. Its failure, or nothing.
  ferry::Result<void> awaitWrite();

  ferry::UniqueFd fd_;
  std::filesystem::path path_;
  std::uint64_t size_ = 0;
  ferry::files::WritebackStarter writeback_;
  std::vector<char> chunk_;  // the bytes of the write in flight
  std::optional<std::future<ferry::files::WriteResult>> in_flight_;
};


inline constexpr std::size_t kVideoIdDigits = 16;
inline constexpr std::size_t kUploadTokenDigits = 32;  // upload URLs are capabilities

// Random lowercase hex digits from getrandom(2) (ids of videos and uploads).
std::string randomId(std::size_t hex_digits = kVideoIdDigits);
// True when `id` looks like randomId()'s output: the only ids ever used in a path.
bool isValidId(std::string_view id, std::size_t hex_digits = kVideoIdDigits);

}  // namespace vf
