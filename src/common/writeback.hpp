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
//
// sync_file_range does not wait for the disk, but it does the submitting itself: ext4's block
// allocation and building the I/O ran on the caller's thread, ~10% of the transfer thread's CPU
// on a 2 GiB download, on the thread that also has to receive the bytes. So the call is made on a
// WritebackThread instead, and on the caller's thread only when that one has fallen behind.

#include <cstddef>
#include <cstdint>

#include "common/unique_fd.hpp"
#include "common/worker_thread.hpp"

namespace ferry::files {

// One thread that starts writeback on behalf of others.
class WritebackThread {
 public:
  // `max_waiting`: requests queued at most; beyond it, start() does the work on the caller's
  // thread (the disk is behind anyway, and this bounds the descriptors held).
  explicit WritebackThread(std::size_t max_waiting = 16);
  ~WritebackThread() = default;  // finishes what is queued, then joins
  WritebackThread(const WritebackThread&) = delete;
  WritebackThread& operator=(const WritebackThread&) = delete;

  // The process's one: the disk is shared, and the files that use it have no common owner.
  static WritebackThread& shared();

  // Starts writeback of [offset, offset + length) of the file `fd` refers to. `fd` is duplicated,
  // so the caller may close it at once. Returns false when the work was done on the caller's
  // thread instead (the queue was full, or the descriptor could not be duplicated).
  bool start(int fd, std::uint64_t offset, std::uint64_t length);

  // Blocks until everything queued before the call has been started. For tests.
  void drain();
  std::uint64_t startedCount() const;  // requests handled on this thread, for tests

 private:
  struct Request {
    UniqueFd fd;
    std::uint64_t offset;
    std::uint64_t length;
  };
  const std::size_t max_waiting_;
  WorkerThread<Request> worker_;
};

// Counts what a writer wrote and asks for writeback of every `chunk` of new bytes.
class WritebackStarter {
 public:
  static constexpr std::uint64_t kDefaultChunk = 8ull << 20;

  // `from`: the file's bytes below it are durable already (or handed to writeback).
  // `thread`: where the writeback is started (nullptr: on the caller's thread).
  explicit WritebackStarter(std::uint64_t from = 0, std::uint64_t chunk = kDefaultChunk,
                            WritebackThread* thread = &WritebackThread::shared())
      : from_(from), chunk_(chunk), thread_(thread) {}

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
  WritebackThread* thread_;
};

}  // namespace ferry::files
