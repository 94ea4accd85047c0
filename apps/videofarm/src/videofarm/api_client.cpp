#include "videofarm/api_client.hpp"

#include "videofarm/http_call.hpp"

namespace videofarm {

using nlohmann::json;

namespace {

Error refused(const std::string& what, const HttpAnswer& answer) {
  std::string code(answer.status == 404 ? errc::not_found : errc::server_refused);
  std::string hint = answer.status == 401 ? "; log in with `videofarm login --name NAME`" : "";
  return Error(code, what + ": the server answered " + std::to_string(answer.status) + " (" +
                         serverErrorText(answer.body) + ")" + hint);
}

Result<json> parseJson(const std::string& what, const HttpAnswer& answer) {
  auto j = json::parse(answer.body, nullptr, false);
  if (j.is_discarded()) {
    std::string start = answer.body.substr(0, 60);
    for (auto& c : start)
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    return fail(errc::bad_answer, what + ": the server's answer is not JSON (it starts \"" + start +
                                      "\"); is --server a VideoFarm server?");
  }
  return j;
}

}  // namespace

std::string serverErrorText(const std::string& body) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) return j["error"].get<std::string>();
  if (body.empty()) return "no explanation";
  return body.substr(0, 200);
}

ApiClient::ApiClient(std::string server) : server_(std::move(server)) {
  while (!server_.empty() && server_.back() == '/') server_.pop_back();
}

std::string ApiClient::url(const std::string& path) const { return server_ + path; }

std::optional<std::string> ApiClient::authorization() const {
  if (!token_) return std::nullopt;
  return "Bearer " + *token_;
}

HttpCall ApiClient::call(std::string method, const std::string& path, std::chrono::seconds timeout) const {
  HttpCall c{std::move(method), url(path), {}, timeout, {}, std::nullopt};
  if (auto auth = authorization()) c.headers.push_back("Authorization: " + *auth);
  return c;
}

Result<std::string> ApiClient::login(const std::string& name, const std::string& password) const {
  HttpCall c{"POST", url("/sessions"), {}, std::chrono::seconds(60), {}, json{{"name", name}, {"password", password}}.dump()};
  auto answer = perform(c);
  if (!answer) return tl::unexpected(answer.error());
  if (answer->status == 401) return fail(errc::server_refused, "wrong name or password");
  if (answer->status != 201) return tl::unexpected(refused("POST /sessions", *answer));
  auto j = parseJson("POST /sessions", *answer);
  if (!j) return tl::unexpected(j.error());
  if (!j->is_object() || !j->contains("token") || !(*j)["token"].is_string())
    return fail(errc::bad_answer, "POST /sessions: the answer has no token; is --server a VideoFarm server?");
  return (*j)["token"].get<std::string>();
}

Result<void> ApiClient::logout() const {
  if (!token_) return {};
  auto answer = perform(call("DELETE", "/sessions", std::chrono::seconds(30)));
  if (!answer) return tl::unexpected(answer.error());
  // 401: the token was already revoked; that is what logging out wants too.
  if (answer->status != 204 && answer->status != 401) return tl::unexpected(refused("DELETE /sessions", *answer));
  return {};
}

Result<json> ApiClient::getJson(const std::string& path) const {
  auto answer = perform(call("GET", path, std::chrono::seconds(30)));
  if (!answer) return tl::unexpected(answer.error());
  if (answer->status != 200) return tl::unexpected(refused("GET " + path, *answer));
  return parseJson("GET " + path, *answer);
}

Result<VideoPage> ApiClient::listPage(int limit, const std::optional<std::string>& after) const {
  std::string path = "/videos?limit=" + std::to_string(limit);
  if (after) {
    if (!isVideoId(*after)) return fail(errc::invalid_argument, "'" + *after + "' is not a video id");
    path += "&after=" + *after;
  }
  auto j = getJson(path);
  if (!j) return tl::unexpected(j.error());
  return parseVideoPage(*j);
}

Result<std::vector<RemoteVideo>> ApiClient::listAll(int page_size, int max_pages) const {
  std::vector<RemoteVideo> all;
  std::optional<std::string> after;
  for (int page = 0; page < max_pages; ++page) {
    auto p = listPage(page_size, after);
    if (!p) return tl::unexpected(p.error());
    all.insert(all.end(), p->videos.begin(), p->videos.end());
    if (!p->next) return all;
    if (after && *p->next == *after) return fail(errc::bad_answer, "the server's list does not advance (next = after)");
    after = p->next;
  }
  return fail(errc::bad_answer, "the server's list has more than " + std::to_string(max_pages) + " pages");
}

Result<RemoteVideo> ApiClient::get(const std::string& id) const {
  if (!isVideoId(id)) return fail(errc::invalid_argument, "'" + id + "' is not a video id (16 hex digits, see `videofarm list`)");
  auto j = getJson("/videos/" + id);
  if (!j) {
    if (j.error().is(errc::not_found)) return fail(errc::not_found, "no video " + id + " on " + server_);
    return tl::unexpected(j.error());
  }
  return parseRemoteVideo(*j);
}

Result<RemoteVideo> ApiClient::prepare(const Video& video) const {
  if (auto valid = validate(video); !valid) return tl::unexpected(valid.error());
  HttpCall post = call("POST", "/videos", std::chrono::seconds(120));
  post.form = {{"title", video.title, {}}, {"description", video.description, {}}};
  if (video.thumbnail) post.form.push_back({"thumbnail", {}, *video.thumbnail});
  auto answer = perform(post);
  if (!answer) return tl::unexpected(answer.error());
  if (answer->status != 303) {
    if (answer->status >= 200 && answer->status < 300)
      return fail(errc::bad_answer, "POST /videos: the server answered " + std::to_string(answer->status) +
                                        " instead of 303 See Other; is --server a VideoFarm server?");
    return tl::unexpected(refused("POST /videos", *answer));
  }
  auto location = answer->header("location");
  if (!location) return fail(errc::bad_answer, "POST /videos: the 303 has no Location");
  // The server names the new video by a path; accept an absolute URL on this server too.
  std::string path = *location;
  if (path.rfind(server_, 0) == 0) path = path.substr(server_.size());
  const std::string prefix = "/videos/";
  if (path.rfind(prefix, 0) != 0 || !isVideoId(path.substr(prefix.size())))
    return fail(errc::bad_answer, "POST /videos: the 303 points at \"" + location->substr(0, 100) + "\", not at a video");
  auto j = getJson(path);
  if (!j) return tl::unexpected(j.error());
  return parseRemoteVideo(*j);
}

Result<void> ApiClient::remove(const std::string& id) const {
  if (!isVideoId(id)) return fail(errc::invalid_argument, "'" + id + "' is not a video id (16 hex digits, see `videofarm list`)");
  auto answer = perform(call("DELETE", "/videos/" + id, std::chrono::seconds(60)));
  if (!answer) return tl::unexpected(answer.error());
  if (answer->status == 404) return fail(errc::not_found, "no video " + id + " on " + server_);
  if (answer->status != 204 && answer->status != 200) return tl::unexpected(refused("DELETE /videos/" + id, *answer));
  return {};
}

bool ApiClient::supportsResumableUpload(const std::string& id) const {
  auto answer = perform(call("OPTIONS", "/videos/" + id + "/movie", std::chrono::seconds(15)));
  if (!answer || answer->status >= 300) return false;
  auto accept = answer->header("accept-patch");
  return accept && accept->find("application/partial-upload") != std::string::npos;
}

}  // namespace videofarm
