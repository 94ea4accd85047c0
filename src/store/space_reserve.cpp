#include "store/space_reserve.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <system_error>
#include <vector>

#include "common/files.hpp"
#include "common/unique_fd.hpp"

namespace ferry::store {
namespace {

std::optional<std::uint64_t> freeBytes(const std::filesystem::path& dir) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
}

}  // namespace

SpaceReserve::SpaceReserve(std::filesystem::path file, std::uint64_t size, std::uint64_t low_water)
    : file_(std::move(file)), size_(size), low_water_(low_water) {
  std::error_code ec;
  held_ = std::filesystem::file_size(file_, ec) >= size_ && !ec;
  if (!held_) adjust();
}

void SpaceReserve::adjust() {
  auto free = freeBytes(file_.parent_path());
  if (!free) return;
  if (held_ && *free < low_water_) {
    std::error_code ec;
    std::filesystem::remove(file_, ec);
    if (ec) {
      spdlog::error("the disk holding ferryd's state is full and its reserve {} cannot be removed: {}", file_.string(),
                    ec.message());
      return;
    }
    held_ = false;
    spdlog::warn("the disk holding ferryd's state is full: ferryd gave back its {} KiB reserve so that it can still "
                 "record what happens to its tasks; free some space (the reserve is taken again then)",
                 size_ / 1024);
  } else if (!held_ && *free >= size_ + 2 * low_water_) {
    if (make()) {
      held_ = true;
      spdlog::debug("space reserve of {} KiB held in {}", size_ / 1024, file_.string());
    }
  }
}

bool SpaceReserve::make() {
  UniqueFd fd(::open(file_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return false;
  // posix_fallocate allocates real blocks (unlike ftruncate); where it is not supported, zeros do.
  int err = ::posix_fallocate(fd.get(), 0, static_cast<off_t>(size_));
  if (err == EOPNOTSUPP || err == EINVAL) {
    std::vector<char> zeros(64 * 1024, 0);
    err = 0;
    for (std::uint64_t done = 0; done < size_ && err == 0;) {
      const auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(zeros.size(), size_ - done));
      err = files::writeAll(fd.get(), zeros.data(), chunk, done).error;
      done += chunk;
    }
  }
  if (err != 0) {
    std::error_code ec;
    std::filesystem::remove(file_, ec);  // a half-made reserve would hold space and promise none
    return false;
  }
  return true;
}

}  // namespace ferry::store
