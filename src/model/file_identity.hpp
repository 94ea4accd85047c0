#pragma once
// What identifies the bytes of an upload's source file: a different value at any attempt means
// the file was changed (or replaced) since the task was made, and sending its bytes would splice
// two versions. common/files.hpp's fileIdentityOf reads it from a descriptor.

#include <cstdint>

namespace ferry::model {

struct FileIdentity {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;  // st_mtim in nanoseconds since the epoch
  std::uint64_t device = 0;   // st_dev
  std::uint64_t inode = 0;    // st_ino
  bool operator==(const FileIdentity&) const = default;
};

}  // namespace ferry::model
