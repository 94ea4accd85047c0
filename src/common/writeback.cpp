#include "common/writeback.hpp"

#include <fcntl.h>

namespace ferry::files {
namespace {

void startWriteback(int fd, std::uint64_t offset, std::uint64_t length) {
  // A failure changes nothing (a hint, see the header), so it is not reported.
  (void)::sync_file_range(fd, static_cast<off_t>(offset), static_cast<off_t>(length), SYNC_FILE_RANGE_WRITE);
}

}  // namespace

WritebackThread::WritebackThread(std::size_t max_waiting)
    : max_waiting_(max_waiting), worker_([](Request& r) {
        startWriteback(r.fd.get(), r.offset, r.length);
        r.fd.reset();
      }) {}

WritebackThread& WritebackThread::shared() {
  static WritebackThread thread;
  return thread;
}

bool WritebackThread::start(int fd, std::uint64_t offset, std::uint64_t length) {
  // The bound is a soft one (another thread may post between the check and the post): it only
  // keeps the descriptors held and the work behind the disk from growing without end.
  if (worker_.waiting() < max_waiting_) {
    UniqueFd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    if (copy) {
      worker_.post(Request{std::move(copy), offset, length});
      return true;
    }
  }
  startWriteback(fd, offset, length);
  return false;
}

void WritebackThread::drain() { worker_.drain(); }

std::uint64_t WritebackThread::startedCount() const { return worker_.handledCount(); }

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
