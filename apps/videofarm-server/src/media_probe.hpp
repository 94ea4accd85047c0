#pragma once
// Reads facts about a stored movie (through the blob store) with ffmpeg's libavformat.

#include <optional>

#include "blob_store.hpp"

namespace vf {

// The movie's duration in seconds, or nullopt when libavformat cannot tell (or is not built in).
std::optional<double> probeDurationSeconds(BlobReader& movie);

}  // namespace vf
