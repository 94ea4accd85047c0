#pragma once
// Putting a file where it belongs so that it stays there through a crash or a power cut: what an
// application does with the file didFinishDownloadingTo hands it (removed when the callback
// returns), and with its own small state files. The same operations ferryd uses for its own
// deliveries (docs/architecture.md, "Durability rules"), so an application need not write them
// again. Errors carry Ferry's codes: not-found, permission-denied, no-space, io.

#include <filesystem>
#include <string_view>

#include "ferry/error.hpp"
#include "ferry/export.hpp"

namespace ferry {

// Moves the file at `from` to `to`, replacing a file there: rename(2), then fsync(2) of `to`'s
// directory. When `to` is on another file system, the bytes are copied into `to` +
// ".ferry-partial", fdatasync'd and renamed into place, and then `from` is removed; `to` never
// holds a part of the file.
FERRY_EXPORT Result<void> moveFileDurably(const std::filesystem::path& from, const std::filesystem::path& to);

// Makes `bytes` the whole content of `to` at once: written to a new `to` + ".ferry-partial" created
// with `mode` (less the umask), fdatasync'd, renamed over `to`, the directory fsync'd. A reader (or
// the program after a crash) finds the old content or the new, never a mix.
FERRY_EXPORT Result<void> writeFileDurably(const std::filesystem::path& to, std::string_view bytes,
                                           unsigned mode = 0644);

}  // namespace ferry
