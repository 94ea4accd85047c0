#include "common/write_behind.hpp"

namespace ferry::files {

WriteBehind::WriteBehind()
    : worker_([](Request& r) { r.done.set_value(writeAll(r.fd, r.data, r.size, r.offset)); }) {}

WriteBehind& WriteBehind::shared() {
  static WriteBehind writer;
  return writer;
}

std::future<WriteResult> WriteBehind::write(int fd, const char* data, std::size_t size, std::uint64_t offset) {
  std::promise<WriteResult> done;
  auto future = done.get_future();
  worker_.post(Request{fd, data, size, offset, std::move(done)});
  return future;
}

}  // namespace ferry::files
