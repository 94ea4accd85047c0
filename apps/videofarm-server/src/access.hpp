#pragma once
// Who sent a request, and whether they may do what it asks. Reads are public unless --private;
// every write needs a user, and a change to a video needs its owner or an administrator.
// Cookie-authenticated writes must also come from the server's own page (Origin check; the
// cookie is SameSite=Strict as well), so another site cannot make a logged-in browser write.

#include <optional>
#include <string>

#include "account_catalog.hpp"
#include "app.hpp"
#include "http_types.hpp"

namespace vf {

struct Identity {
  User user;
  std::string token_id;     // the token the request carried (DELETE /sessions revokes it)
  bool via_cookie = false;
};

// The request's user: nullopt when it carries no credentials, 401 when they are bad.
HttpResult<std::optional<Identity>> identify(App& app, const RequestHeader& req);
// A user, or 401 (and for a cookie without the page's Origin, 403).
HttpResult<Identity> requireUser(App& app, const RequestHeader& req);
// A user who may change video `id`: its owner or an admin (401, 403, or 404 for no such video).
HttpResult<Identity> requireVideoOwner(App& app, const RequestHeader& req, const std::string& id);
// The same for the video a resumable upload is for.
HttpResult<Identity> requireUploadOwner(App& app, const RequestHeader& req, const std::string& upload_token);
// With --private, a user; otherwise nothing is needed.
HttpResult<void> requireReader(App& app, const RequestHeader& req);

}  // namespace vf
