#pragma once
// Durable file operations used by the store's writer thread and by finalisation of downloads.
// Each returns a Result so that a failed fdatasync is seen (and never retried and trusted).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "model/file_identity.hpp"

struct stat;

namespace ferry::files {

// fdatasync(2) of the file at `path` (opened for writing; syncs every fd's dirty pages of that inode).
Result<void> syncData(const std::filesystem::path& path);

// fsync(2) of a directory, so that a rename or create inside it survives a crash.
Result<void> syncDirectory(const std::filesystem::path& dir);

// rename(2) `from` onto `to` (same file system), then fsync `to`'s directory.
Result<void> renameDurably(const std::filesystem::path& from, const std::filesystem::path& to);

// Copies `from` into a temporary beside `to`, syncs it and renames it into place (durably): for
// when a rename cannot do (another file system) or the original must stay. A full disk is
// errc::no_space; the temporary is removed on failure.
Result<void> copyDurably(const std::filesystem::path& from, const std::filesystem::path& to);

// Moves `from` to `to` durably: renameDurably, or where `to` is on another file system (EXDEV)
// copyDurably and then `from` removed (a failure to remove it is not an error: the copy is in place).
Result<void> moveDurably(const std::filesystem::path& from, const std::filesystem::path& to);

// Makes `bytes` the whole content of `to` at once: a new temporary beside it created with `mode`,
// fdatasync, renameDurably over `to`. A reader sees the old content or the new, never a part.
Result<void> writeDurably(const std::filesystem::path& to, std::string_view bytes, unsigned mode);

// Size of a regular file, or an error when it is missing or not a regular file.
Result<std::uint64_t> fileSize(const std::filesystem::path& path);

// Cut (or extend never: a shorter file is left as it is) the file to `size` bytes and sync it.
Result<void> truncateTo(const std::filesystem::path& path, std::uint64_t size);

// Creates `dir` and its parents with the given mode (only the last component gets the mode forced).
Result<void> makePrivateDirectory(const std::filesystem::path& dir, unsigned mode = 0700);

// Writes `data` to a new file only this user can read ($XDG_RUNTIME_DIR, else the temp directory)
// and returns its path; the caller removes it.
Result<std::filesystem::path> writePrivateTemp(std::string_view data);

// The identity (size, mtime, device, inode) of what `st` describes.
model::FileIdentity fileIdentityOf(const struct stat& st);
// The identity of the regular file at `path`; an error when it is missing, unreadable or not a
// regular file (an upload's body must be a file whose bytes can be read again at every attempt).
Result<model::FileIdentity> fileIdentity(const std::filesystem::path& path);

// The one way Ferry writes bytes into a file: pwrite(2) of all of them at `offset`, through
// EINTR and short writes (the descriptor's own position never moves, so writes on another thread
// — WriteBehind — cannot land anywhere else).
struct WriteResult {
  int error = 0;            // errno of the failed pwrite, 0 when all was written
  std::size_t written = 0;  // bytes written before a failure (all of them on success)
};
WriteResult writeAll(int fd, const char* data, std::size_t size, std::uint64_t offset);
// The same as a Result: a failure is errnoError(errno, "write <what>").
Result<void> writeAll(int fd, std::string_view bytes, std::uint64_t offset, const std::filesystem::path& what);

// Maps errno to an Error with the ferry code (ENOSPC -> no-space, EACCES -> permission-denied, ...).
Error errnoError(int err, const std::string& what);

}  // namespace ferry::files
