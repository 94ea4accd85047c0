#include "media_worker.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "app.hpp"

namespace vf {
namespace {

// The PNG as a new blob, durable, so that committing it is all the I/O thread does.
ferry::Result<std::shared_ptr<BlobWriter>> writeThumbnail(BlobStore& blobs, const std::string& png) {
  auto writer = blobs.create();
  if (!writer) return tl::unexpected(writer.error());
  if (auto r = (*writer)->write(png); !r) return tl::unexpected(r.error());
  if (auto r = (*writer)->sync(); !r) return tl::unexpected(r.error());
  return std::shared_ptr<BlobWriter>(std::move(*writer));
}

}  // namespace

MediaWorker::MediaWorker(boost::asio::any_io_executor io, App& app)
    : io_(std::move(io)), app_(app), thread_([this](Job& job) { run(job); }) {}

void MediaWorker::analyze(const std::string& video_id) { thread_.post(Job{video_id}); }

void MediaWorker::run(Job& job) {
  MediaAnalysis result;
  std::shared_ptr<BlobWriter> thumbnail;
  if (auto movie = app_.blobs->open(job.video_id, BlobKind::Movie); movie) {
    result = analyzeMovie(**movie);
  } else {
    result.failure = "cannot read the movie: " + movie.error().describe();
  }
  if (result.thumbnail_png) {
    auto written = writeThumbnail(*app_.blobs, *result.thumbnail_png);
    if (written) thumbnail = std::move(*written);
    else result.failure = written.error().describe();
  }
  boost::asio::post(io_, [this, id = job.video_id, result = std::move(result), thumbnail] {
    record(id, result, thumbnail.get());
  });
}

void MediaWorker::record(const std::string& id, const MediaAnalysis& result, BlobWriter* thumbnail) {
  std::optional<std::string> made;
  auto video = app_.catalog->find(id);
  bool wants_thumbnail = video && *video && !(*video)->thumbnail_type;
  if (thumbnail && wants_thumbnail) {
    if (auto r = thumbnail->commitAs(id, BlobKind::Thumbnail); r) made = "image/png";
    else spdlog::warn("thumbnail of {}: {}", id, r.error().describe());
  }
  // An uncommitted thumbnail is removed with its writer.
  if (video && *video) {
    if (auto r = app_.catalog->setMediaFacts(id, result.facts, made); !r)
      spdlog::error("catalogue: {}", r.error().describe());
  }
  if (made) spdlog::info("thumbnail of {} made from its movie", id);
  else if (wants_thumbnail) spdlog::info("no thumbnail for {}: {}; it keeps the placeholder", id, result.failure);
}

}  // namespace vf
