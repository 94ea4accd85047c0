#include "common/write_behind.hpp"

#include <unistd.h>

#include <cerrno>

namespace ferry::files {

WriteBehind::WriteBehind() : thread_([this] { run(); }) {}

WriteBehind& WriteBehind::shared() {
  static WriteBehind writer;
  return writer;
}

WriteBehind::~WriteBehind() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::future<WriteResult> WriteBehind::write(int fd, const char* data, std::size_t size, std::uint64_t offset) {
  std::promise<WriteResult> done;
  auto future = done.get_future();
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Request{fd, data, size, offset, std::move(done)});
  }
  wake_.notify_one();
  return future;
}

void WriteBehind::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and every write is done
    Request request = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    request.done.set_value(writeAll(request.fd, request.data, request.size, request.offset));
    lock.lock();
  }
}

}  // namespace ferry::files
