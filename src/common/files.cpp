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

Result<void> copyDurably(const std::filesystem::path& from, const std::filesystem::path& to) {
  auto tmp = to;
  tmp += ".ferry-partial";
  std::error_code ec;
  std::filesystem::copy_file(from, tmp, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return fail(ec == std::errc::no_space_on_device ? errc::no_space : errc::io,
                "cannot copy " + from.string() + " to " + to.string() + ": " + ec.message());
  }
  if (auto s = syncData(tmp); !s) return s;
  return renameDurably(tmp, to);
}

Result<void> renameDurably(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    return tl::unexpected(errnoError(errno, "rename " + from.string() + " to " + to.string()));
  auto parent = to.parent_path();
  return syncDirectory(parent.empty() ? std::filesystem::path(".") : parent);
}

Result<void> moveDurably(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::rename(from.c_str(), to.c_str()) == 0) {
    auto parent = to.parent_path();
    return syncDirectory(parent.empty() ? std::filesystem::path(".") : parent);
  }
  if (errno != EXDEV) return tl::unexpected(errnoError(errno, "move " + from.string() + " to " + to.string()));
  if (auto copied = copyDurably(from, to); !copied) return copied;
  std::error_code ec;
  std::filesystem::remove(from, ec);
  return {};
}

Result<void> writeDurably(const std::filesystem::path& to, std::string_view bytes, unsigned mode) {
  auto tmp = to;
  tmp += ".ferry-partial";
  ::unlink(tmp.c_str());  // a crash's leftover; O_EXCL then gives the new file exactly `mode`
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd) return tl::unexpected(errnoError(errno, "create " + tmp.string()));
  auto written = writeAll(fd.get(), bytes, 0, tmp);
  if (written && ::fdatasync(fd.get()) != 0) written = tl::unexpected(errnoError(errno, "fdatasync " + tmp.string()));
  fd.reset();
  if (written) written = renameDurably(tmp, to);
  if (!written) ::unlink(tmp.c_str());
  return written;
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
  if (auto written = writeAll(fd.get(), data, 0, path); !written) {
    ::unlink(path.c_str());
    return tl::unexpected(written.error());
  }
  return path;
}

WriteResult writeAll(int fd, const char* data, std::size_t size, std::uint64_t offset) {
  WriteResult result;
  while (result.written < size) {
    const ssize_t n = ::pwrite(fd, data + result.written, size - result.written,
                               static_cast<off_t>(offset + result.written));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      result.error = n < 0 ? errno : EIO;
      return result;
    }
    result.written += static_cast<std::size_t>(n);
  }
  return result;
}

Result<void> writeAll(int fd, std::string_view bytes, std::uint64_t offset, const std::filesystem::path& what) {
  const WriteResult r = writeAll(fd, bytes.data(), bytes.size(), offset);
  if (r.error != 0) return tl::unexpected(errnoError(r.error, "write " + what.string()));
  return {};
}

model::FileIdentity fileIdentityOf(const struct stat& st) {
  return model::FileIdentity{static_cast<std::uint64_t>(st.st_size),
                             static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
                             static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

Result<model::FileIdentity> fileIdentity(const std::filesystem::path& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return tl::unexpected(errnoError(errno, "the file " + path.string()));
  if (!S_ISREG(st.st_mode))
    return fail(errc::invalid_argument, path.string() + " is not a regular file; upload a regular file, or its bytes as a stream.");
  return fileIdentityOf(st);
}

}  // namespace ferry::files
