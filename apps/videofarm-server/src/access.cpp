#include "access.hpp"

#include <spdlog/spdlog.h>

#include "auth_headers.hpp"
#include "credentials.hpp"

namespace vf {
namespace {

constexpr const char* kChallenge = "Bearer realm=\"videofarm\"";

Problem unauthorized(std::string message) {
  return Problem{http::status::unauthorized, std::move(message), {{http::field::www_authenticate, kChallenge}}};
}

Problem catalogueDown() {
  return Problem{http::status::internal_server_error, "the catalogue failed; try again later", {}};
}

// --open-writes: every request acts as an administrator without an account.
Identity anonymousAdmin() {
  Identity who;
  who.user.name = "anonymous";
  who.user.admin = true;
  return who;
}

HttpResult<std::optional<Identity>> lookUp(App& app, const std::string& token, bool via_cookie) {
  if (!looksLikeApiToken(token))
    return tl::unexpected(unauthorized("the token is not one this server issued; log in again (POST /sessions)"));
  auto found = app.accounts->findToken(tokenDigest(token));
  if (!found) {
    spdlog::error("accounts: {}", found.error().describe());
    return tl::unexpected(catalogueDown());
  }
  if (!*found)
    return tl::unexpected(unauthorized("the token is unknown or was revoked; log in again (POST /sessions) "
                                       "or make a new one (POST /tokens)"));
  return std::optional<Identity>(Identity{(*found)->user, (*found)->token.id, via_cookie});
}

bool isSafeMethod(http::verb m) {
  return m == http::verb::get || m == http::verb::head || m == http::verb::options;
}

// The page is served by this server, so its Origin is "http://" + the Host it was loaded from.
bool fromOwnPage(const RequestHeader& req) {
  auto origin = req[http::field::origin];
  auto host = req[http::field::host];
  return !host.empty() && (origin == "http://" + std::string(host) || origin == "https://" + std::string(host));
}

HttpResult<Identity> ownerCheck(const Identity& who, const Video& video) {
  if (who.user.admin || (video.owner_id && *video.owner_id == who.user.id)) return who;
  std::string why = video.owner_id ? "the video " + video.id + " belongs to another user; only its owner or an "
                                     "administrator may change it"
                                   : "the video " + video.id + " was added before accounts existed; only an "
                                     "administrator may change it";
  return tl::unexpected(Problem{http::status::forbidden, why, {}});
}

}  // namespace

HttpResult<std::optional<Identity>> identify(App& app, const RequestHeader& req) {
  // A Bearer header wins over the cookie: a script that sends one means it.
  if (auto it = req.find(http::field::authorization); it != req.end()) {
    auto token = parseBearer(it->value());
    if (!token) return tl::unexpected(unauthorized(token.error().message));
    return lookUp(app, *token, false);
  }
  if (auto it = req.find(http::field::cookie); it != req.end()) {
    if (auto token = findCookie(it->value(), kSessionCookie); token && !token->empty())
      return lookUp(app, *token, true);
  }
  return std::optional<Identity>();
}

HttpResult<Identity> requireUser(App& app, const RequestHeader& req) {
  if (app.config.open_writes) return anonymousAdmin();
  auto who = identify(app, req);
  if (!who) return tl::unexpected(who.error());
  if (!*who)
    return tl::unexpected(unauthorized("this needs an account: send Authorization: Bearer TOKEN (POST /sessions "
                                       "with {\"name\", \"password\"} gives one) or log in on the page"));
  if ((*who)->via_cookie && !isSafeMethod(req.method()) && !fromOwnPage(req))
    return tl::unexpected(Problem{http::status::forbidden,
                                  "a write with the session cookie must come from this server's page (Origin "
                                  "missing or foreign); scripts should send Authorization: Bearer TOKEN",
                                  {}});
  return **who;
}

HttpResult<Identity> requireVideoOwner(App& app, const RequestHeader& req, const std::string& id) {
  auto who = requireUser(app, req);
  if (!who) return who;
  auto video = app.catalog->find(id);
  if (!video) return tl::unexpected(catalogueDown());
  if (!*video) return tl::unexpected(Problem{http::status::not_found, "no video " + id, {}});
  return ownerCheck(*who, **video);
}

HttpResult<Identity> requireUploadOwner(App& app, const RequestHeader& req, const std::string& upload_token) {
  auto who = requireUser(app, req);
  if (!who) return who;
  auto upload = app.catalog->findUpload(upload_token);
  if (!upload) return tl::unexpected(catalogueDown());
  if (!*upload) return who;  // the upload handler answers 404 as it always has
  auto video = app.catalog->find((*upload)->video_id);
  if (!video) return tl::unexpected(catalogueDown());
  if (!*video) return who;
  return ownerCheck(*who, **video);
}

HttpResult<void> requireReader(App& app, const RequestHeader& req) {
  if (!app.config.private_library) return {};
  auto who = identify(app, req);
  if (!who) return tl::unexpected(who.error());
  if (!*who)
    return tl::unexpected(unauthorized("this library is private: send Authorization: Bearer TOKEN or log in"));
  return {};
}

}  // namespace vf
