#include "videofarm/library_folder.hpp"

#include <ferry/files.hpp>

#include "videofarm/local_files.hpp"

namespace videofarm {

namespace fs = std::filesystem;

namespace {

std::string extensionFor(const std::string& content_type) {
  if (content_type == "video/mp4") return ".mp4";
  if (content_type == "video/webm") return ".webm";
  if (content_type == "video/quicktime") return ".mov";
  return ".bin";
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
  if (auto dir = makeDirectory(videoDir(video_id), kVideoDirMode); !dir) return tl::unexpected(dir.error());
  // didFinishDownloadingTo's file is in ferryd's state directory, maybe on another file system.
  if (auto moved = ferry::moveFileDurably(from, target); !moved) return tl::unexpected(moved.error());
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
  if (auto moved = ferry::moveFileDurably(from, to); !moved) return tl::unexpected(moved.error());
  return to;
}

void LibraryFolder::discard(const std::string& video_id, Role role) const {
  std::error_code ec;
  fs::remove(incoming(video_id, role), ec);
}

}  // namespace videofarm
