#pragma once
// Decodes a stored movie with ffmpeg (libavformat, libavcodec, libswscale): its media facts and a
// thumbnail from a frame about 10% in, scaled to at most 320 pixels wide and encoded as PNG.
// Slow (tens of milliseconds, more for big frames): run off the I/O thread (media_worker.hpp).

#include <optional>
#include <string>

#include "blob_store.hpp"
#include "video_catalog.hpp"

namespace vf {

inline constexpr int kThumbnailMaxWidth = 320;

struct MediaAnalysis {
  MediaFacts facts;
  std::optional<std::string> thumbnail_png;  // the PNG file's bytes
  std::string failure;                       // why there is no thumbnail (for the log)
};

MediaAnalysis analyzeMovie(BlobReader& movie, int max_width = kThumbnailMaxWidth);

}  // namespace vf
