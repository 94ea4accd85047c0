#include "video_json.hpp"

#include <charconv>
#include <ctime>

namespace vf {
namespace {

void appendRfc3339(std::string& out, std::int64_t ms) {
  const auto secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"", tm.tm_year + 1900,
                              tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  out.append(buf, static_cast<std::size_t>(n));
}

template <class Number>
void appendNumber(std::string& out, Number value) {
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  out.append(buf, end);
}

template <class T>
void appendOptional(std::string& out, const std::optional<T>& value) {
  if (!value) out += "null";
  else if constexpr (std::is_same_v<T, std::string>) appendJsonString(out, *value);
  else appendNumber(out, *value);
}

// "/videos/ID/<what>" or null.
void appendPath(std::string& out, bool present, const std::string& id, std::string_view what) {
  if (!present) {
    out += "null";
    return;
  }
  out += "\"/videos/";
  out += id;  // 16 hex digits: nothing to escape
  out += '/';
  out += what;
  out += '"';
}

void appendMovie(std::string& out, const MovieInfo& m) {
  out += "{\"size\":";
  appendNumber(out, m.size);
  out += ",\"content_type\":";
  appendJsonString(out, m.content_type);
  out += ",\"duration\":";
  appendOptional(out, m.duration_seconds);
  out += ",\"width\":";
  appendOptional(out, m.facts.width);
  out += ",\"height\":";
  appendOptional(out, m.facts.height);
  out += ",\"video_codec\":";
  appendOptional(out, m.facts.video_codec);
  out += ",\"audio_codec\":";
  appendOptional(out, m.facts.audio_codec);
  out += '}';
}

}  // namespace

void appendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain = 0;  // start of the run of bytes that need no escape
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(text.data() + plain, text.size() - plain);
  out += '"';
}

void appendVideoJson(std::string& out, const Video& v) {
  out += "{\"id\":";
  appendJsonString(out, v.id);
  out += ",\"title\":";
  appendJsonString(out, v.title);
  out += ",\"description\":";
  appendJsonString(out, v.description);
  out += ",\"created_at\":";
  appendRfc3339(out, v.created_at_ms);
  out += ",\"thumbnail_url\":";
  appendPath(out, v.thumbnail_type.has_value(), v.id, "thumbnail");
  out += ",\"movie_url\":";
  appendPath(out, v.movie.has_value(), v.id, "movie");
  out += ",\"movie\":";
  if (v.movie) appendMovie(out, *v.movie);
  else out += "null";
  out += ",\"owner_id\":";
  appendOptional(out, v.owner_id);
  // "uploading" while a resumable upload is open and no movie is there yet.
  out += ",\"upload_state\":";
  out += v.movie ? "\"ready\"" : (v.upload_in_progress ? "\"uploading\"" : "\"none\"");
  out += '}';
}

std::string videoJson(const Video& video) {
  std::string out;
  out.reserve(512);
  appendVideoJson(out, video);
  return out;
}

std::string videoPageJson(const std::vector<Video>& videos, bool more) {
  std::string out;
  out.reserve(64 + videos.size() * 400);
  out += "{\"videos\":[";
  for (std::size_t i = 0; i < videos.size(); ++i) {
    if (i) out += ',';
    appendVideoJson(out, videos[i]);
  }
  out += "],\"next\":";
  if (more && !videos.empty()) appendJsonString(out, videos.back().id);
  else out += "null";
  out += '}';
  return out;
}

}  // namespace vf
