#include "router.hpp"

#include <string>
#include <vector>

#include "access.hpp"
#include "account_handlers.hpp"
#include "handlers.hpp"
#include "resumable_upload.hpp"
#include "storage.hpp"
#include "tus_upload.hpp"

namespace vf {
namespace {

struct Target {
  std::vector<std::string> segments;
  std::string query;
};

// Splits the origin-form target. Empty segments ("//", trailing "/") make the path invalid
// rather than silently meaning something else.
std::optional<Target> splitTarget(std::string_view target) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  Target t;
  auto q = target.find('?');
  if (q != std::string_view::npos) {
    t.query = std::string(target.substr(q + 1));
    target = target.substr(0, q);
  }
  target.remove_prefix(1);
  while (!target.empty()) {
    auto slash = target.find('/');
    std::string_view seg = target.substr(0, slash);
    if (seg.empty()) return std::nullopt;
    t.segments.emplace_back(seg);
    if (slash == std::string_view::npos) break;
    target.remove_prefix(slash + 1);
    if (target.empty()) return std::nullopt;  // trailing slash
  }
  return t;
}

std::unique_ptr<RequestHandler> methodNotAllowed(const std::string& allow) {
  Problem p{http::status::method_not_allowed, "this resource allows " + allow, {{http::field::allow, allow}}};
  return immediateProblem(std::move(p));
}

std::unique_ptr<RequestHandler> notFound(const std::string& what) {
  return immediateProblem({http::status::not_found, what, {}});
}

std::unique_ptr<RequestHandler> badId() {
  return immediateProblem({http::status::bad_request, "a video id is 16 lowercase hex digits", {}});
}

// Runs `make` with the identity when the check passed; otherwise answers its problem.
template <class T, class Make>
std::unique_ptr<RequestHandler> guarded(HttpResult<T> check, Make make) {
  if (!check) return immediateProblem(std::move(check.error()));
  if constexpr (std::is_void_v<T>) {
    return make();
  } else {
    return make(std::move(*check));
  }
}

bool isRead(http::verb m) { return m == http::verb::get || m == http::verb::head; }

std::unique_ptr<RequestHandler> routeVideo(App& app, const RequestHeader& req, const std::string& id,
                                           const std::vector<std::string>& rest) {
  const auto m = req.method();
  if (isRead(m)) {
    if (auto ok = requireReader(app, req); !ok) return immediateProblem(std::move(ok.error()));
  } else if (m != http::verb::options) {
    if (auto ok = requireVideoOwner(app, req, id); !ok) return immediateProblem(std::move(ok.error()));
  }
  if (rest.empty()) {
    if (m == http::verb::get) return immediate([&app, id](const RequestHeader&) { return getVideo(app, id); });
    if (m == http::verb::delete_) return immediate([&app, id](const RequestHeader&) { return deleteVideo(app, id); });
    return methodNotAllowed("GET, DELETE");
  }
  if (rest.size() == 1 && rest[0] == "movie") {
    if (m == http::verb::get || m == http::verb::head)
      return immediate([&app, id](const RequestHeader& r) { return getMovie(app, r, id); });
    if ((m == http::verb::put || m == http::verb::post) && wantsIetfCreation(req)) return makeIetfCreation(app, id);
    // A PUT with an interop version we do not speak falls back to a plain upload, as the draft wants.
    if (m == http::verb::put) return makePutMovie(app, id);
    if (m == http::verb::post)
      return immediateProblem({http::status::bad_request,
                               "POST here creates a resumable upload: send Upload-Draft-Interop-Version 6 or 8", {}});
    if (m == http::verb::options) return makeIetfOptions(app);
    return methodNotAllowed("GET, HEAD, PUT, POST, OPTIONS");
  }
  if (rest.size() == 1 && rest[0] == "thumbnail") {
    if (m == http::verb::get || m == http::verb::head)
      return immediate([&app, id](const RequestHeader& r) { return getThumbnail(app, r, id); });
    return methodNotAllowed("GET, HEAD");
  }
  return notFound("no such resource");
}

std::unique_ptr<RequestHandler> routeTus(App& app, const RequestHeader& req, const std::vector<std::string>& s) {
  const auto m = req.method();
  if (s.size() == 3 && s[1] == "videos") {
    if (!isValidId(s[2])) return badId();
    if (m == http::verb::post)
      return guarded(requireVideoOwner(app, req, s[2]), [&](Identity) { return makeTusCreation(app, s[2]); });
    if (m == http::verb::options) return makeTusOptions(app);
    return methodNotAllowed("POST, OPTIONS");
  }
  if (s.size() == 3 && s[1] == "uploads") {
    if (!isValidId(s[2], kUploadTokenDigits)) return notFound("no such upload");
    if (m == http::verb::head) return guarded(requireReader(app, req), [&] { return makeTusUpload(app, s[2], m); });
    if (m == http::verb::patch || m == http::verb::delete_)
      return guarded(requireUploadOwner(app, req, s[2]), [&](Identity) { return makeTusUpload(app, s[2], m); });
    if (m == http::verb::options) return makeTusOptions(app);
    return methodNotAllowed("HEAD, PATCH, DELETE, OPTIONS");
  }
  return notFound("no such resource");
}

std::unique_ptr<RequestHandler> routeUsers(App& app, const RequestHeader& req) {
  if (req.method() != http::verb::post) return methodNotAllowed("POST");
  if (app.config.open_registration) {
    auto caller = identify(app, req);  // an admin may still make admins
    return guarded(std::move(caller), [&](std::optional<Identity> who) { return makeCreateUser(app, std::move(who)); });
  }
  return guarded(requireUser(app, req), [&](Identity who) -> std::unique_ptr<RequestHandler> {
    if (!who.user.admin)
      return immediateProblem({http::status::forbidden,
                               "registration is closed: ask an administrator to create your account", {}});
    return makeCreateUser(app, std::move(who));
  });
}

std::unique_ptr<RequestHandler> routeSessions(App& app, const RequestHeader& req, const std::string& peer) {
  const auto m = req.method();
  if (m == http::verb::post) return makeLogin(app, peer);
  if (m == http::verb::get)
    return guarded(requireUser(app, req), [](Identity who) {
      return immediate([who = std::move(who)](const RequestHeader&) { return currentSession(who); });
    });
  if (m == http::verb::delete_)
    return guarded(requireUser(app, req), [&app](Identity who) {
      return immediate([&app, who = std::move(who)](const RequestHeader&) { return logout(app, who); });
    });
  return methodNotAllowed("GET, POST, DELETE");
}

std::unique_ptr<RequestHandler> routeTokens(App& app, const RequestHeader& req, const std::vector<std::string>& s) {
  const auto m = req.method();
  if (s.size() == 1) {
    if (m != http::verb::post) return methodNotAllowed("POST");
    return guarded(requireUser(app, req), [&app](Identity who) { return makeCreateToken(app, std::move(who)); });
  }
  if (s.size() != 2) return notFound("no such resource");
  if (!isValidId(s[1])) return notFound("no token " + s[1]);
  if (m != http::verb::delete_) return methodNotAllowed("DELETE");
  return guarded(requireUser(app, req), [&app, id = s[1]](Identity who) {
    return immediate([&app, who = std::move(who), id](const RequestHeader&) { return deleteToken(app, who, id); });
  });
}

}  // namespace

std::unique_ptr<RequestHandler> route(App& app, const RequestHeader& req, const std::string& peer) {
  auto target = splitTarget(req.target());
  if (!target) return immediateProblem({http::status::bad_request, "the request target is not a valid path", {}});
  const auto& s = target->segments;
  const auto m = req.method();
  if (s.empty()) {
    if (m == http::verb::get || m == http::verb::head)
      return immediate([&app](const RequestHeader& r) { return getStaticFile(app, r, "index.html"); });
    return methodNotAllowed("GET, HEAD");
  }
  if (s[0] == "videos") {
    if (s.size() == 1) {
      if (m == http::verb::get) {
        return guarded(requireReader(app, req), [&] {
          return immediate([&app, q = target->query](const RequestHeader&) { return listVideos(app, q); });
        });
      }
      if (m == http::verb::post)
        return guarded(requireUser(app, req), [&](Identity who) {
          return makeCreateVideo(app, who.user.id.empty() ? std::nullopt : std::optional<std::string>(who.user.id));
        });
      return methodNotAllowed("GET, POST");
    }
    if (!isValidId(s[1])) return badId();
    return routeVideo(app, req, s[1], std::vector<std::string>(s.begin() + 2, s.end()));
  }
  if (s[0] == "uploads" && s.size() == 2) {
    if (!isValidId(s[1], kUploadTokenDigits)) return notFound("no such upload");
    if (m == http::verb::options) return makeIetfUpload(app, s[1], m);
    if (m == http::verb::head) return guarded(requireReader(app, req), [&] { return makeIetfUpload(app, s[1], m); });
    if (m == http::verb::patch || m == http::verb::delete_)
      return guarded(requireUploadOwner(app, req, s[1]), [&](Identity) { return makeIetfUpload(app, s[1], m); });
    return methodNotAllowed("HEAD, PATCH, DELETE, OPTIONS");
  }
  if (s[0] == "tus") return routeTus(app, req, s);
  if (s[0] == "users" && s.size() == 1) return routeUsers(app, req);
  if (s[0] == "sessions" && s.size() == 1) return routeSessions(app, req, peer);
  if (s[0] == "tokens") return routeTokens(app, req, s);
  if (s.size() == 1) {
    if (m == http::verb::get || m == http::verb::head)
      return immediate([&app, name = s[0]](const RequestHeader& r) { return getStaticFile(app, r, name); });
    return methodNotAllowed("GET, HEAD");
  }
  return notFound("no such resource");
}

}  // namespace vf
