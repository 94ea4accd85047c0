#pragma once
// Content types decided from a file's first bytes, never from what the client claims.

#include <optional>
#include <string>
#include <string_view>

namespace vf {

// How many leading bytes the sniffers look at.
inline constexpr std::size_t kSniffBytes = 16;

// image/png, image/jpeg, image/gif or image/webp; nullopt for anything else.
std::optional<std::string> sniffImageType(std::string_view head);

// video/mp4, video/quicktime, video/webm (also Matroska) or application/octet-stream.
std::string sniffMovieType(std::string_view head);

}  // namespace vf
