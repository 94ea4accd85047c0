#include "videofarm/model.hpp"

#include <array>

namespace videofarm {

using nlohmann::json;

namespace {

Error badField(const std::string& field, const std::string& what) {
  return Error(errc::bad_answer, "the server's video has " + field + " " + what +
                                     "; is the server a VideoFarm server of this version?");
}

Result<std::string> stringField(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return tl::unexpected(badField(std::string("'") + name + "'", "missing or not a string"));
  return it->get<std::string>();
}

// A path on the server, or null.
Result<std::optional<std::string>> pathField(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return tl::unexpected(badField(std::string("'") + name + "'", "that is not a string"));
  auto value = it->get<std::string>();
  if (value.empty() || value[0] != '/' || value.rfind("//", 0) == 0 || value.find("..") != std::string::npos ||
      value.size() > 2048)
    return tl::unexpected(badField(std::string("'") + name + "'", "that is not a path on the server (\"" + value.substr(0, 80) + "\")"));
  return std::optional<std::string>(value);
}

Result<std::optional<MovieInfo>> movieField(const json& j) {
  auto it = j.find("movie");
  if (it == j.end() || it->is_null()) return std::optional<MovieInfo>();
  if (!it->is_object()) return tl::unexpected(badField("'movie'", "that is not an object"));
  MovieInfo movie;
  auto size = it->find("size");
  if (size == it->end() || !size->is_number_unsigned()) return tl::unexpected(badField("'movie.size'", "missing or not a size"));
  movie.size = size->get<std::uint64_t>();
  auto type = it->find("content_type");
  if (type == it->end() || !type->is_string()) return tl::unexpected(badField("'movie.content_type'", "missing or not a string"));
  movie.content_type = type->get<std::string>();
  if (auto d = it->find("duration"); d != it->end() && !d->is_null()) {
    if (!d->is_number() || d->get<double>() < 0) return tl::unexpected(badField("'movie.duration'", "that is not a duration"));
    movie.duration = d->get<double>();
  }
  return std::optional<MovieInfo>(movie);
}

}  // namespace

Result<void> validate(const Video& video) {
  if (video.title.empty() || video.title.size() > 300)
    return fail(errc::invalid_argument, "a title must be 1 to 300 bytes long");
  return {};
}

bool isVideoId(const std::string& id) {
  if (id.size() != 16) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Result<RemoteVideo> parseRemoteVideo(const json& j) {
  if (!j.is_object()) return tl::unexpected(badField("a body", "that is not a JSON object"));
  RemoteVideo v;
  auto id = stringField(j, "id");
  if (!id) return tl::unexpected(id.error());
  if (!isVideoId(*id)) return tl::unexpected(badField("'id'", "that is not 16 lowercase hex digits"));
  v.id = *id;
  auto title = stringField(j, "title");
  if (!title) return tl::unexpected(title.error());
  v.title = *title;
  if (auto d = j.find("description"); d != j.end() && !d->is_null()) {
    if (!d->is_string()) return tl::unexpected(badField("'description'", "that is not a string"));
    v.description = d->get<std::string>();
  }
  auto created = stringField(j, "created_at");
  if (!created) return tl::unexpected(created.error());
  v.created_at = *created;
  auto thumbnail = pathField(j, "thumbnail_url");
  if (!thumbnail) return tl::unexpected(thumbnail.error());
  v.thumbnail_url = *thumbnail;
  auto movie_url = pathField(j, "movie_url");
  if (!movie_url) return tl::unexpected(movie_url.error());
  v.movie_url = *movie_url;
  auto movie = movieField(j);
  if (!movie) return tl::unexpected(movie.error());
  v.movie = *movie;
  auto state = stringField(j, "upload_state");
  if (!state) return tl::unexpected(state.error());
  if (*state != "none" && *state != "uploading" && *state != "ready")
    return tl::unexpected(badField("'upload_state'", "\"" + state->substr(0, 40) + "\", not none, uploading or ready"));
  v.upload_state = *state;
  return v;
}

json toJson(const RemoteVideo& v) {
  json j{{"id", v.id},
         {"title", v.title},
         {"description", v.description},
         {"created_at", v.created_at},
         {"thumbnail_url", v.thumbnail_url ? json(*v.thumbnail_url) : json(nullptr)},
         {"movie_url", v.movie_url ? json(*v.movie_url) : json(nullptr)},
         {"movie", nullptr},
         {"upload_state", v.upload_state}};
  if (v.movie)
    j["movie"] = {{"size", v.movie->size},
                  {"content_type", v.movie->content_type},
                  {"duration", v.movie->duration ? json(*v.movie->duration) : json(nullptr)}};
  return j;
}

Result<VideoPage> parseVideoPage(const json& j) {
  if (!j.is_object()) return fail(errc::bad_answer, "the server's list is not a JSON object; is it a VideoFarm server?");
  auto videos = j.find("videos");
  if (videos == j.end() || !videos->is_array())
    return fail(errc::bad_answer, "the server's list has no 'videos' array; is it a VideoFarm server?");
  VideoPage page;
  for (const auto& item : *videos) {
    auto video = parseRemoteVideo(item);
    if (!video) return tl::unexpected(video.error());
    page.videos.push_back(std::move(*video));
  }
  if (auto next = j.find("next"); next != j.end() && !next->is_null()) {
    if (!next->is_string() || !isVideoId(next->get<std::string>()))
      return fail(errc::bad_answer, "the server's list has a 'next' that is not a video id");
    page.next = next->get<std::string>();
  }
  return page;
}

namespace {
constexpr std::array<std::pair<Role, std::string_view>, 3> kRoles{
    {{Role::upload, "upload"}, {Role::movie, "movie"}, {Role::thumbnail, "thumbnail"}}};
constexpr std::array<std::pair<TransferState, std::string_view>, 4> kStates{{{TransferState::running, "running"},
                                                                             {TransferState::paused, "paused"},
                                                                             {TransferState::finished, "finished"},
                                                                             {TransferState::failed, "failed"}}};
}  // namespace

std::string_view roleName(Role role) {
  for (auto [r, name] : kRoles)
    if (r == role) return name;
  return "?";
}
std::optional<Role> roleFromName(std::string_view name) {
  for (auto [r, n] : kRoles)
    if (n == name) return r;
  return std::nullopt;
}
std::string_view stateName(TransferState state) {
  for (auto [s, name] : kStates)
    if (s == state) return name;
  return "?";
}
std::optional<TransferState> stateFromName(std::string_view name) {
  for (auto [s, n] : kStates)
    if (n == name) return s;
  return std::nullopt;
}

}  // namespace videofarm
