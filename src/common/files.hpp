#pragma once
// Durable file operations used by the store's writer thread and by finalisation of downloads.
// Each returns a Result so that a failed fdatasync is seen (and never retried and trusted).

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "common/error.hpp"

namespace ferry::files {

// fdatasync(2) of the file at `path` (opened for writing; syncs every fd's dirty pages of that inode).
Result<void> syncData(const std::filesystem::path& path);

// fsync(2) of a directory, so that a rename or create inside it survives a crash.
Result<void> syncDirectory(const std::filesystem::path& dir);

// rename(2) `from` onto `to` (same file system), then fsync `to`'s directory.
Result<void> renameDurably(const std::filesystem::path& from, const std::filesystem::path& to);

// Size of a regular file, or an error when it is missing or not a regular file.
Result<std::uint64_t> fileSize(const std::filesystem::path& path);

// Cut (or extend never: a shorter file is left as it is) the file to `size` bytes and sync it.
Result<void> truncateTo(const std::filesystem::path& path, std::uint64_t size);

// Creates `dir` and its parents with the given mode (only the last component gets the mode forced).
Result<void> makePrivateDirectory(const std::filesystem::path& dir, unsigned mode = 0700);

// Writes `data` to a new file only this user can read ($XDG_RUNTIME_DIR, else the temp directory)
// and returns its path; the caller removes it.
Result<std::filesystem::path> writePrivateTemp(std::string_view data);

// Maps errno to an Error with the ferry code (ENOSPC -> no-space, EACCES -> permission-denied, ...).
Error errnoError(int err, const std::string& what);

}  // namespace ferry::files
