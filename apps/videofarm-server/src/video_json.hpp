#pragma once
// The JSON clients see for a video and for a page of the list, written straight into the
// response's text. The list of up to 200 videos is the server's busiest answer: building a
// nlohmann::json tree of every row and then printing it cost more than the catalogue's query, so
// these functions print each field in place (strings escaped as JSON requires; the catalogue's
// text is valid UTF-8, checked when it was sent).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "video_catalog.hpp"

namespace vf {

// Appends `text` as a JSON string, quotes included.
void appendJsonString(std::string& out, std::string_view text);
// Appends the video's object: id, title, description, created_at, thumbnail_url, movie_url,
// movie ({size, content_type, duration, width, height, video_codec, audio_codec} or null),
// owner_id, upload_state ("ready", "uploading" or "none").
void appendVideoJson(std::string& out, const Video& video);
std::string videoJson(const Video& video);
// {"videos": [...], "next": the id of the last one when there are more, else null}.
std::string videoPageJson(const std::vector<Video>& videos, bool more);

}  // namespace vf
