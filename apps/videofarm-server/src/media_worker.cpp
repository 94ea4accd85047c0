#include "media_worker.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "app.hpp"
#include "common/files.hpp"

namespace vf {
namespace {

// The PNG to tmp/, synced, so that its rename into place is all the I/O thread does.
ferry::Result<std::filesystem::path> writeThumbnail(const Storage& storage, const std::string& png) {
  auto path = storage.tmpDir() / (randomId(kUploadTokenDigits) + ".png");
  ferry::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) return tl::unexpected(ferry::files::errnoError(errno, "create " + path.string()));
  if (auto r = ferry::files::writeAll(fd.get(), png, 0, path); !r) {
    ::unlink(path.c_str());
    return tl::unexpected(r.error());
  }
  if (::fdatasync(fd.get()) != 0) {
    auto err = ferry::files::errnoError(errno, "fdatasync " + path.string());
    ::unlink(path.c_str());
    return tl::unexpected(err);
  }
  return path;
}

}  // namespace

MediaWorker::MediaWorker(boost::asio::any_io_executor io, App& app)
    : io_(std::move(io)), app_(app), thread_([this](Job& job) { run(job); }) {}

void MediaWorker::analyze(const std::string& video_id) {
  thread_.post(Job{video_id, app_.storage.moviePath(video_id)});
}

void MediaWorker::run(Job& job) {
  auto result = analyzeMovie(job.movie);
  std::filesystem::path thumbnail;
  if (result.thumbnail_png) {
    auto written = writeThumbnail(app_.storage, *result.thumbnail_png);
    if (written) thumbnail = *written;
    else result.failure = written.error().describe();
  }
  boost::asio::post(io_, [this, id = job.video_id, result = std::move(result), thumbnail] {
    record(id, result, thumbnail);
  });
}

void MediaWorker::record(const std::string& id, const MediaAnalysis& result, const std::filesystem::path& thumbnail) {
  std::optional<std::string> made;
  auto video = app_.catalog->find(id);
  bool wants_thumbnail = video && *video && !(*video)->thumbnail_type;
  if (!thumbnail.empty() && wants_thumbnail) {
    if (auto r = ferry::files::renameDurably(thumbnail, app_.storage.thumbnailPath(id)); r) made = "image/png";
    else spdlog::warn("thumbnail of {}: {}", id, r.error().describe());
  }
  if (!thumbnail.empty() && !made) ::unlink(thumbnail.c_str());
  if (video && *video) {
    if (auto r = app_.catalog->setMediaFacts(id, result.facts, made); !r)
      spdlog::error("catalogue: {}", r.error().describe());
  }
  if (made) spdlog::info("thumbnail of {} made from its movie", id);
  else if (wants_thumbnail) spdlog::info("no thumbnail for {}: {}; it keeps the placeholder", id, result.failure);
}

}  // namespace vf
