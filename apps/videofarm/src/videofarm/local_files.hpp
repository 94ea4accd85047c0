#pragma once
// The little file handling libvideofarm needs besides libferry's durable moves and writes
// (ferry/files.hpp): its own directories, and errno turned into an Error. libvideofarm uses only
// libferry's public API, as any application of Ferry would (docs/videofarm-client.md).

#include <filesystem>
#include <string>

#include "videofarm/errors.hpp"

namespace videofarm {

// Creates `dir` and its parents; `dir` itself gets exactly `mode` (0700 for the data directory,
// whatever the umask says).
Result<void> makeDirectory(const std::filesystem::path& dir, std::filesystem::perms mode);

// "<what>: <strerror>", as no-space when the disk is full, else permission-denied, not-found or io.
Error fileError(int err, const std::string& what);

}  // namespace videofarm
