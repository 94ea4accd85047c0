#pragma once
// Writing a download's body on a second thread while the transfer thread receives the next chunk.
//
// curl hands the body to the transfer thread, which used to pwrite it into the partial file
// before reading more from the socket. Measured on a 2 GiB download over loopback, the pwrite
// (the copy into the page cache and ext4's per-block bookkeeping) was ~65% of that thread's CPU
// and the receive ~20%: one core did both while the other sat mostly idle, and ferryd ran at
// curl's speed at best. Handing big chunks to this thread lets both run at once (~1.3x in an
// experiment with libcurl alone).
//
// The rules that keep the durable-offset guarantee (see DownloadAttempt):
//   - a chunk is counted as written (bytes_in_file, Progress) only once its write has finished,
//     so no checkpoint can record bytes that are not in the file yet;
//   - an attempt has at most one write in flight, and waits for it before its next write, before
//     it reports how it ended, and before it is destroyed: outside an attempt's lifetime no write
//     is pending, so cutting the file back or closing it needs no coordination.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

namespace ferry::engine {

struct WriteResult {
  int error = 0;            // errno of the failed pwrite, 0 when all was written
  std::size_t written = 0;  // bytes written before a failure (all of them on success)
};

class WriteBehind {
 public:
  WriteBehind();
  ~WriteBehind();  // finishes the writes already queued, then joins
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;

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
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Request> queue_;
  bool stopping_ = false;
  std::thread thread_;  // last: started after every member above is ready
};

// pwrite of all `size` bytes (retrying short writes and EINTR), on the calling thread.
WriteResult writeFully(int fd, const char* data, std::size_t size, std::uint64_t offset);

}  // namespace ferry::engine
