#pragma once
// Writing a file on a second thread while the thread that receives its bytes (ferryd's transfer
// thread, the VideoFarm server's I/O thread) receives the next chunk.
//
// Both used to pwrite each chunk before reading more from the socket: on a 2 GiB download the
// pwrite (the copy into the page cache and ext4's per-block bookkeeping) was ~65% of the transfer
// thread's CPU and the receive ~20%, so one core did both while the other sat mostly idle. With
// the write here, both run at once.
//
// The rule for users: keep at most one write of a file in flight, and count its bytes as written
// (offsets reported, durable offsets recorded) only once its future is ready without error. Wait
// for it before the file is synced, cut, closed or removed.

#include <cstddef>
#include <cstdint>
#include <future>

#include "common/files.hpp"
#include "common/worker_thread.hpp"

namespace ferry::files {

class WriteBehind {
 public:
  WriteBehind();
  ~WriteBehind() = default;  // finishes the writes already queued, then joins
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;

  // The process's one, for writers that have no common owner (the VideoFarm server's files).
  static WriteBehind& shared();

  // Queues a pwrite of [data, data + size) at `offset` of `fd`. The caller keeps `data` and `fd`
  // valid until the returned future is ready.
  std::future<WriteResult> write(int fd, const char* data, std::size_t size, std::uint64_t offset);

 private:
  struct Request {
    int fd;
    const char* data;
    std::size_t size;
    std::uint64_t offset;
    std::promise<WriteResult> done;
  };
  WorkerThread<Request> worker_;
};

}  // namespace ferry::files
