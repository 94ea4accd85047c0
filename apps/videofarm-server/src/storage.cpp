#include "storage.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <sys/random.h>

#include <cerrno>
#include <chrono>
#include <stdexcept>

#include "common/files.hpp"

namespace vf {
namespace {

// A chunk this big is written on the write-behind thread while the next is read (a movie's body
// comes in reads of up to 256 KiB); a smaller one (a form's fields, a thumbnail) here.
constexpr std::size_t kWriteBehindMin = 64 * 1024;

}  // namespace

Storage::Storage(std::filesystem::path root) : root_(std::move(root)) {
  for (const char* sub : {"videos", "tmp", "uploads"}) {
    std::error_code ec;
    std::filesystem::create_directories(root_ / sub, ec);
    if (ec) throw std::runtime_error("cannot create " + (root_ / sub).string() + ": " + ec.message());
  }
  // Bodies cut off by a crash are never visible; clear them at start. Only old ones: the data
  // directory may be shared by several instances, whose bodies in progress must stay.
  std::error_code ec;
  const auto stale = std::filesystem::file_time_type::clock::now() - std::chrono::hours(6);
  for (const auto& entry : std::filesystem::directory_iterator(root_ / "tmp", ec)) {
    std::error_code tec;
    auto written = entry.last_write_time(tec);
    if (!tec && written < stale) std::filesystem::remove_all(entry.path(), tec);
  }
}

ferry::Result<TempFile> TempFile::create(const Storage& storage) {
  auto path = storage.tmpDir() / (randomId(kUploadTokenDigits) + ".part");
  ferry::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) return tl::unexpected(ferry::files::errnoError(errno, "create " + path.string()));
  return TempFile(std::move(fd), std::move(path));
}

// A moved vector keeps its heap buffer, so a write in flight may follow its TempFile around.
TempFile::TempFile(TempFile&& other) noexcept
    : fd_(std::move(other.fd_)),
      path_(std::move(other.path_)),
      size_(other.size_),
      writeback_(other.writeback_),
      chunk_(std::move(other.chunk_)),
      in_flight_(std::move(other.in_flight_)) {
  other.path_.clear();
  other.in_flight_.reset();
}

TempFile& TempFile::operator=(TempFile&& other) noexcept {
  if (this != &other) {
    (void)awaitWrite();
    if (!path_.empty()) ::unlink(path_.c_str());
    fd_ = std::move(other.fd_);
    path_ = std::move(other.path_);
    size_ = other.size_;
    writeback_ = other.writeback_;
    chunk_ = std::move(other.chunk_);
    in_flight_ = std::move(other.in_flight_);
    other.path_.clear();
    other.in_flight_.reset();
  }
  return *this;
}

TempFile::~TempFile() {
  (void)awaitWrite();  // before the descriptor closes and the name goes
  if (!path_.empty()) ::unlink(path_.c_str());
}

ferry::Result<void> TempFile::write(std::string_view bytes) {
  if (auto previous = awaitWrite(); !previous) return previous;
  const std::uint64_t offset = size_;
  size_ += bytes.size();
  if (bytes.size() >= kWriteBehindMin) {
    // The caller reuses its buffer once this returns: the other thread writes a copy.
    chunk_.assign(bytes.begin(), bytes.end());
    in_flight_ = ferry::files::WriteBehind::shared().write(fd_.get(), chunk_.data(), chunk_.size(), offset);
    return {};
  }
  // pwrite at the offset, as the other thread does: the descriptor's own position never moves.
  const auto written = ferry::files::writeAll(fd_.get(), bytes.data(), bytes.size(), offset);
  if (written.error != 0) return tl::unexpected(ferry::files::errnoError(written.error, "write " + path_.string()));
  writeback_.wrote(fd_.get(), size_);
  return {};
}

ferry::Result<void> TempFile::awaitWrite() {
  if (!in_flight_) return {};
  const ferry::files::WriteResult written = in_flight_->get();
  in_flight_.reset();
  if (written.error != 0) return tl::unexpected(ferry::files::errnoError(written.error, "write " + path_.string()));
  writeback_.wrote(fd_.get(), size_);
  return {};
}

ferry::Result<void> TempFile::sync() {
  if (auto written = awaitWrite(); !written) return written;
  if (::fdatasync(fd_.get()) != 0) return tl::unexpected(ferry::files::errnoError(errno, "fdatasync " + path_.string()));
  return {};
}

ferry::Result<void> TempFile::commitTo(const std::filesystem::path& target) {
  if (auto synced = sync(); !synced) return synced;
  auto r = ferry::files::renameDurably(path_, target);
  if (r) path_.clear();
  return r;
}

std::string randomId(std::size_t hex_digits) {
  // getrandom(2): ids of uploads are capabilities, so they must not be predictable.
  std::string raw((hex_digits + 1) / 2, '\0');
  std::size_t got = 0;
  while (got < raw.size()) {
    ssize_t n = ::getrandom(raw.data() + got, raw.size() - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error("getrandom failed");
    got += static_cast<std::size_t>(n);
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  out.resize(hex_digits);
  return out;
}

bool isValidId(std::string_view id, std::size_t hex_digits) {
  if (id.size() != hex_digits) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace vf
