#pragma once
// The VideoFarm REST API's short synchronous calls (docs/videofarm-server.md): the list with
// pagination, one video, prepare (POST /videos, then the 303's Location), delete, and whether the
// movie endpoint speaks the IETF resumable upload draft. The movie itself goes through ferryd
// (BackgroundTransfers), never through here.

#include <optional>
#include <string>

#include "videofarm/http_call.hpp"
#include "videofarm/model.hpp"

namespace videofarm {

class ApiClient {
 public:
  // `server` is the base URL, e.g. http://127.0.0.1:8080 (a trailing slash is ignored).
  explicit ApiClient(std::string server);
  const std::string& server() const { return server_; }

  // An absolute URL for a path the server gave ("/videos/ID/movie").
  std::string url(const std::string& path) const;

  // The token every call sends as Authorization: Bearer (none: anonymous, reads only).
  void setToken(std::optional<std::string> token) { token_ = std::move(token); }
  // "Bearer TOKEN", for the transfers ferryd makes on our behalf.
  std::optional<std::string> authorization() const;
  // POST /sessions: a new token (not stored: see credentials_file.hpp).
  Result<std::string> login(const std::string& name, const std::string& password) const;
  // DELETE /sessions: the server revokes the token this client holds.
  Result<void> logout() const;

  Result<VideoPage> listPage(int limit, const std::optional<std::string>& after = std::nullopt) const;
  // Every video, page by page (at most `max_pages` pages: a server that loops is stopped).
  Result<std::vector<RemoteVideo>> listAll(int page_size = 50, int max_pages = 10000) const;
  Result<RemoteVideo> get(const std::string& id) const;
  // POST /videos with title, description and thumbnail; follows the 303 to the new video.
  Result<RemoteVideo> prepare(const Video& video) const;
  Result<void> remove(const std::string& id) const;
  // OPTIONS /videos/ID/movie answers Accept-Patch: application/partial-upload when the server
  // takes IETF resumable uploads there.
  bool supportsResumableUpload(const std::string& id) const;

 private:
  Result<nlohmann::json> getJson(const std::string& path) const;
  // A call to `path` carrying the token.
  HttpCall call(std::string method, const std::string& path, std::chrono::seconds timeout) const;
  std::string server_;
  std::optional<std::string> token_;
};

// {"error": "..."} of a VideoFarm answer, else the start of the body.
std::string serverErrorText(const std::string& body);

}  // namespace videofarm
