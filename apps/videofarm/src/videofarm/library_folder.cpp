#include "videofarm/library_folder.hpp"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/files.hpp"
#include "common/unique_fd.hpp"

namespace videofarm {

namespace fs = std::filesystem;

namespace {

std::string extensionFor(const std::string& content_type) {
  if (content_type == "video/mp4") return ".mp4";
  if (content_type == "video/webm") return ".webm";
  if (content_type == "video/quicktime") return ".mov";
  return ".bin";
}

// Across file systems: copy into a temporary name beside `to`, fdatasync, rename, fsync the directory.
Result<void> copyDurably(const fs::path& from, const fs::path& to) {
  ferry::UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) return tl::unexpected(ferry::files::errnoError(errno, "open " + from.string()));
  fs::path tmp = to;
  tmp += ".copying";
  ferry::UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!out) return tl::unexpected(ferry::files::errnoError(errno, "create " + tmp.string()));
  for (;;) {
    ssize_t n = ::sendfile(out.get(), in.get(), nullptr, 1 << 24);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return tl::unexpected(ferry::files::errnoError(errno, "copy to " + tmp.string()));
    }
  }
  if (::fdatasync(out.get()) != 0) return tl::unexpected(ferry::files::errnoError(errno, "fdatasync " + tmp.string()));
  out.reset();
  if (auto r = ferry::files::renameDurably(tmp, to); !r) return r;
  std::error_code ec;
  fs::remove(from, ec);
  return {};
}

Result<void> moveDurably(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) == 0) return ferry::files::syncDirectory(to.parent_path());
  if (errno == EXDEV) return copyDurably(from, to);
  return tl::unexpected(ferry::files::errnoError(errno, "move " + from.string() + " to " + to.string()));
}

}  // namespace

fs::path LibraryFolder::incoming(const std::string& video_id, Role role) const {
  return videoDir(video_id) / (".incoming-" + std::string(roleName(role)));
}

fs::path LibraryFolder::finalPath(const RemoteVideo& video, Role role) const {
  if (role == Role::thumbnail) return videoDir(video.id) / "thumbnail";
  return videoDir(video.id) / ("movie" + extensionFor(video.movie ? video.movie->content_type : ""));
}

Result<fs::path> LibraryFolder::takeIn(const fs::path& from, const std::string& video_id, Role role) const {
  auto target = incoming(video_id, role);
  std::error_code ec;
  if (!fs::exists(from, ec) && fs::exists(target, ec)) return target;  // a replayed event: done before
  if (auto dir = ferry::files::makePrivateDirectory(videoDir(video_id), 0755); !dir) return tl::unexpected(dir.error());
  if (auto moved = moveDurably(from, target); !moved) return tl::unexpected(moved.error());
  return target;
}

Result<fs::path> LibraryFolder::place(const RemoteVideo& video, Role role) const {
  auto from = incoming(video.id, role);
  auto to = finalPath(video, role);
  std::error_code ec;
  if (!fs::exists(from, ec)) {
    if (fs::exists(to, ec)) return to;  // done before
    return fail(errc::not_found, "the finished " + std::string(roleName(role)) + " of " + video.id + " is not in " +
                                     videoDir(video.id).string() + " (removed by hand?); download it again");
  }
  if (auto moved = moveDurably(from, to); !moved) return tl::unexpected(moved.error());
  return to;
}

void LibraryFolder::discard(const std::string& video_id, Role role) const {
  std::error_code ec;
  fs::remove(incoming(video_id, role), ec);
}

}  // namespace videofarm
