#pragma once
// Starting writeback of a file while it is being written, so that the fdatasync which makes it
// durable finds little left to write.
//
// Left to itself the kernel writes dirty pages back late (after dirty_expire_centisecs, or once
// dirty_background_ratio of memory is dirty): the fdatasync at the end of a big file found
// hundreds of megabytes still to write, and the caller waited for all of them after the last byte
// had arrived. Asking for writeback of every few megabytes as they are written
// (sync_file_range(SYNC_FILE_RANGE_WRITE), which does not wait for it) keeps the disk busy
// alongside the network instead. It is only a hint: what is durable is decided by fdatasync alone.

#include <cstdint>

namespace ferry::files {

class WritebackStarter {
 public:
  static constexpr std::uint64_t kDefaultChunk = 8ull << 20;

  // `from`: the file's bytes below it are durable already (or handed to writeback).
  explicit WritebackStarter(std::uint64_t from = 0, std::uint64_t chunk = kDefaultChunk) : from_(from), chunk_(chunk) {}

  // Bytes below `end` are written. Once `chunk` or more have been written since writeback was
  // last started, starts writeback of them (without waiting) and returns true.
  bool wrote(int fd, std::uint64_t end);
  // The file was cut back to `offset`: bytes from there on are new.
  void restartAt(std::uint64_t offset) { from_ = offset; }
  // Writeback was started (or not needed) for the bytes below this offset.
  std::uint64_t startedUpTo() const { return from_; }

 private:
  std::uint64_t from_;
  std::uint64_t chunk_;
};

}  // namespace ferry::files
