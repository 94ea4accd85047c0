#include "common/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "common/unique_fd.hpp"

namespace ferry::files {

Error errnoError(int err, const std::string& what) {
  std::string text = what + ": " + std::strerror(err);
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      return Error(errc::no_space, text + " (free some space; the transfer continues afterwards)");
    case EACCES:
    case EPERM:
      return Error(errc::permission_denied, text);
    case ENOENT:
      return Error(errc::not_found, text);
    default:
      return Error(errc::io, text);
  }
}

Result<void> syncData(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return tl::unexpected(errnoError(errno, "open " + path.string()));
  if (::fdatasync(fd.get()) != 0) return tl::unexpected(errnoError(errno, "fdatasync " + path.string()));
  return {};
}

Result<void> syncDirectory(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return tl::unexpected(errnoError(errno, "open directory " + dir.string()));
  if (::fsync(fd.get()) != 0) return tl::unexpected(errnoError(errno, "fsync directory " + dir.string()));
  return {};
}

Result<void> renameDurably(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    return tl::unexpected(errnoError(errno, "rename " + from.string() + " to " + to.string()));
  auto parent = to.parent_path();
  return syncDirectory(parent.empty() ? std::filesystem::path(".") : parent);
}

Result<std::uint64_t> fileSize(const std::filesystem::path& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return tl::unexpected(errnoError(errno, "stat " + path.string()));
  if (!S_ISREG(st.st_mode)) return fail(errc::io, path.string() + " is not a regular file");
  return static_cast<std::uint64_t>(st.st_size);
}

Result<void> truncateTo(const std::filesystem::path& path, std::uint64_t size) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return tl::unexpected(errnoError(errno, "open " + path.string()));
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) return tl::unexpected(errnoError(errno, "stat " + path.string()));
  if (static_cast<std::uint64_t>(st.st_size) <= size) return {};
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0)
    return tl::unexpected(errnoError(errno, "truncate " + path.string()));
  if (::fdatasync(fd.get()) != 0) return tl::unexpected(errnoError(errno, "fdatasync " + path.string()));
  return {};
}

Result<void> makePrivateDirectory(const std::filesystem::path& dir, unsigned mode) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(errc::io, "cannot create directory " + dir.string() + ": " + ec.message());
  if (::chmod(dir.c_str(), mode) != 0) return tl::unexpected(errnoError(errno, "chmod " + dir.string()));
  return {};
}

}  // namespace ferry::files

namespace ferry::files {

Result<std::filesystem::path> writePrivateTemp(std::string_view data) {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  std::filesystem::path dir = runtime && *runtime ? std::filesystem::path(runtime) : std::filesystem::temp_directory_path();
  std::string pattern = (dir / "ferry-upload-XXXXXX").string();
  UniqueFd fd(::mkostemp(pattern.data(), O_CLOEXEC));  // mode 0600
  if (!fd) return tl::unexpected(errnoError(errno, "create a temporary file in " + dir.string()));
  std::filesystem::path path = pattern;
  while (!data.empty()) {
    ssize_t n = ::write(fd.get(), data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      auto error = errnoError(errno, "write " + path.string());
      ::unlink(path.c_str());
      return tl::unexpected(error);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return path;
}

}  // namespace ferry::files
