#pragma once
// The VideoFarm model: a Video to add (local files), a RemoteVideo as the server describes it, and
// the two background operations on them, VideoUpload and VideoDownload, as the state keeps them.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "videofarm/errors.hpp"

namespace videofarm {

// A video to add: what `videofarm add` is given.
struct Video {
  std::string title;
  std::string description;
  std::filesystem::path movie;
  std::optional<std::filesystem::path> thumbnail;
};

// Title 1..300 bytes (the server's rule, checked before anything is sent).
Result<void> validate(const Video& video);

struct MovieInfo {
  std::uint64_t size = 0;
  std::string content_type;
  std::optional<double> duration;
};

// A video as GET /videos/ID describes it (docs/videofarm-server.md).
struct RemoteVideo {
  std::string id;  // 16 lowercase hex digits
  std::string title;
  std::string description;
  std::string created_at;
  std::optional<std::string> thumbnail_url;  // a path on the server ("/videos/ID/thumbnail")
  std::optional<std::string> movie_url;
  std::optional<MovieInfo> movie;
  std::string upload_state;  // none | uploading | ready
};

// Parses and validates one video object: every field's type, the id's form, the URLs being paths
// on the same server, the upload state one of the three. The error names the field.
Result<RemoteVideo> parseRemoteVideo(const nlohmann::json& j);
nlohmann::json toJson(const RemoteVideo& video);

// A page of GET /videos.
struct VideoPage {
  std::vector<RemoteVideo> videos;
  std::optional<std::string> next;  // the id to pass as `after`, none on the last page
};
Result<VideoPage> parseVideoPage(const nlohmann::json& j);

// Ids are what the server makes: checked before they go into a URL or a path.
bool isVideoId(const std::string& id);

// What a background transfer is for: the movie upload, or one of a download's two files.
enum class Role { upload, movie, thumbnail };
std::string_view roleName(Role role);
std::optional<Role> roleFromName(std::string_view name);

enum class TransferState { running, paused, finished, failed };
std::string_view stateName(TransferState state);
std::optional<TransferState> stateFromName(std::string_view name);

// One background transfer as the state keeps it.
struct Transfer {
  std::string video_id;
  Role role = Role::upload;
  std::string url;                      // absolute
  std::optional<std::uint64_t> task;    // the Ferry task; none while paused (resume data instead)
  TransferState state = TransferState::running;
  std::string resume_data;              // paused (or failed resumable) downloads
  std::filesystem::path file;           // upload: the source; download: where it was put when finished
  std::string error;                    // why it failed
  std::uint64_t bytes_done = 0;         // last known progress
  std::optional<std::uint64_t> bytes_total;
};

// A video and its movie upload.
struct VideoUpload {
  RemoteVideo video;
  Transfer movie;
};

// A remote video and its movie and thumbnail downloads (no thumbnail transfer when it has none).
struct VideoDownload {
  RemoteVideo video;
  Transfer movie;
  std::optional<Transfer> thumbnail;
};

}  // namespace videofarm
