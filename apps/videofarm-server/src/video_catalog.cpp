#include "video_catalog.hpp"

#include <ctime>

namespace vf {
namespace {

std::string rfc3339(std::int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

nlohmann::json videoJson(const Video& v) {
  nlohmann::json j;
  j["id"] = v.id;
  j["title"] = v.title;
  j["description"] = v.description;
  j["created_at"] = rfc3339(v.created_at_ms);
  j["thumbnail_url"] = v.thumbnail_type ? nlohmann::json("/videos/" + v.id + "/thumbnail") : nlohmann::json();
  j["movie_url"] = v.movie ? nlohmann::json("/videos/" + v.id + "/movie") : nlohmann::json();
  if (v.movie) {
    j["movie"] = {{"size", v.movie->size}, {"content_type", v.movie->content_type}};
    j["movie"]["duration"] = v.movie->duration_seconds ? nlohmann::json(*v.movie->duration_seconds) : nlohmann::json();
    const auto& f = v.movie->facts;
    j["movie"]["width"] = f.width ? nlohmann::json(*f.width) : nlohmann::json();
    j["movie"]["height"] = f.height ? nlohmann::json(*f.height) : nlohmann::json();
    j["movie"]["video_codec"] = f.video_codec ? nlohmann::json(*f.video_codec) : nlohmann::json();
    j["movie"]["audio_codec"] = f.audio_codec ? nlohmann::json(*f.audio_codec) : nlohmann::json();
  } else {
    j["movie"] = nullptr;
  }
  j["owner_id"] = v.owner_id ? nlohmann::json(*v.owner_id) : nlohmann::json();
  // "uploading" while a resumable upload is open and no movie is there yet.
  j["upload_state"] = v.movie ? "ready" : (v.upload_in_progress ? "uploading" : "none");
  return j;
}

}  // namespace vf
