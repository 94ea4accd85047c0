#include "media_sniff.hpp"

namespace vf {
namespace {
bool startsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
}  // namespace

std::optional<std::string> sniffImageType(std::string_view head) {
  using namespace std::string_view_literals;
  if (startsWith(head, "\x89PNG\r\n\x1a\n"sv)) return "image/png";
  if (startsWith(head, "\xff\xd8\xff"sv)) return "image/jpeg";
  if (startsWith(head, "GIF87a"sv) || startsWith(head, "GIF89a"sv)) return "image/gif";
  if (head.size() >= 12 && startsWith(head, "RIFF"sv) && head.substr(8, 4) == "WEBP"sv) return "image/webp";
  return std::nullopt;
}

std::string sniffMovieType(std::string_view head) {
  using namespace std::string_view_literals;
  if (startsWith(head, "\x1a\x45\xdf\xa3"sv)) return "video/webm";
  if (head.size() >= 12 && head.substr(4, 4) == "ftyp"sv) {
    return head.substr(8, 4) == "qt  "sv ? "video/quicktime" : "video/mp4";
  }
  return "application/octet-stream";
}

}  // namespace vf
