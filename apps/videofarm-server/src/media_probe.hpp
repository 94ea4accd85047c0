#pragma once
// Reads facts about a stored movie with ffmpeg's libavformat.

#include <filesystem>
#include <memory>
#include <optional>

namespace vf {

// The movie's duration in seconds, or nullopt when libavformat cannot tell (or is not built in).
std::optional<double> probeDurationSeconds(const std::filesystem::path& movie);

}  // namespace vf
