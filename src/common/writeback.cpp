#include "common/writeback.hpp"

#include <fcntl.h>

namespace ferry::files {
namespace {

void startWriteback(int fd, std::uint64_t offset, std::uint64_t length) {
  // A failure changes nothing (a hint, see the header), so it is not reported.
  (void)::sync_file_range(fd, static_cast<off_t>(offset), static_cast<off_t>(length), SYNC_FILE_RANGE_WRITE);
}

}  // namespace

WritebackThread::WritebackThread(std::size_t max_waiting) : max_waiting_(max_waiting), thread_([this] { run(); }) {}

WritebackThread::~WritebackThread() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

WritebackThread& WritebackThread::shared() {
  static WritebackThread thread;
  return thread;
}

bool WritebackThread::start(int fd, std::uint64_t offset, std::uint64_t length) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() < max_waiting_) {
      UniqueFd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
      if (copy) {
        queue_.push_back(Request{std::move(copy), offset, length});
        wake_.notify_one();
        return true;
      }
    }
  }
  startWriteback(fd, offset, length);
  return false;
}

void WritebackThread::drain() {
  std::unique_lock lock(mutex_);
  drained_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

std::uint64_t WritebackThread::startedCount() const {
  std::lock_guard lock(mutex_);
  return started_;
}

void WritebackThread::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing is left
    Request request = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    startWriteback(request.fd.get(), request.offset, request.length);
    request.fd.reset();
    lock.lock();
    busy_ = false;
    ++started_;
    drained_.notify_all();
  }
}

bool WritebackStarter::wrote(int fd, std::uint64_t end) {
  if (end < from_) from_ = 0;  // cut back without being told: start over, clean pages cost nothing
  if (end - from_ < chunk_) return false;
  if (thread_ != nullptr) {
    thread_->start(fd, from_, end - from_);
  } else {
    startWriteback(fd, from_, end - from_);
  }
  from_ = end;
  return true;
}

}  // namespace ferry::files
