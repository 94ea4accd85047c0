#include "account_handlers.hpp"

#include <functional>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "account_json.hpp"
#include "auth_headers.hpp"
#include "credentials.hpp"
#include "storage.hpp"
#include "text.hpp"
#include "video_catalog.hpp"

namespace vf {
namespace {

// A small JSON body, read whole (at most kMaxAccountBodyBytes), then handed to `fn`.
class SmallBodyHandler final : public RequestHandler {
 public:
  using Fn = std::function<Response(const std::string& body)>;
  explicit SmallBodyHandler(Fn fn) : fn_(std::move(fn)) {}

  std::optional<Response> start(const RequestHeader& req, std::vector<Response>&) override {
    auto length = contentLength(req);
    if (length && *length > kMaxAccountBodyBytes) return errorResponse(tooLarge());
    auto type = req[http::field::content_type];
    if (length.value_or(1) != 0 && type.substr(0, type.find(';')) != "application/json")
      return errorResponse({http::status::unsupported_media_type, "send the body as Content-Type: application/json", {}});
    return std::nullopt;
  }
  HttpResult<void> body(std::string_view bytes) override {
    if (body_.size() + bytes.size() > kMaxAccountBodyBytes) return tl::unexpected(tooLarge());
    body_.append(bytes);
    return {};
  }
  Response finish() override { return fn_(body_); }

 private:
  static Problem tooLarge() {
    return {http::status::payload_too_large, "the body is larger than " + std::to_string(kMaxAccountBodyBytes) + " bytes", {}};
  }
  Fn fn_;
  std::string body_;
};

Response catalogueFailed(const ferry::Error& e) {
  spdlog::error("accounts: {}", e.describe());
  return errorResponse({http::status::internal_server_error, "the catalogue failed; try again later", {}});
}

Response badBody(const ferry::Error& e) { return errorResponse({http::status::bad_request, e.message, {}}); }

nlohmann::json userJson(const User& u) { return {{"id", u.id}, {"name", u.name}, {"admin", u.admin}}; }

User newUser(const Credentials& c) {
  return User{randomId(), c.name, hashPassword(c.password), c.admin, nowMs()};
}

// A new token for `user`: the secret goes to the caller once; only its digest is kept.
ferry::Result<std::pair<ApiToken, std::string>> issueToken(App& app, const User& user, std::string kind,
                                                           std::string label) {
  std::string secret = newApiToken();
  ApiToken t{randomId(), user.id, tokenDigest(secret), std::move(kind), std::move(label), nowMs()};
  if (auto r = app.accounts->createToken(t); !r) return tl::unexpected(r.error());
  return std::make_pair(std::move(t), std::move(secret));
}

Response tooManyAttempts(std::chrono::seconds wait) {
  return errorResponse({http::status::too_many_requests,
                        "too many failed logins for this account or address; wait " + std::to_string(wait.count()) +
                            " s and try again",
                        {{http::field::retry_after, std::to_string(wait.count())}}});
}

Response login(App& app, const std::string& peer, const std::string& body) {
  auto creds = parseCredentials(body, false);
  if (!creds) return badBody(creds.error());
  if (auto wait = app.login_limiter->blocked(creds->name, peer)) return tooManyAttempts(*wait);
  auto user = app.accounts->findUserByName(creds->name);
  if (!user) return catalogueFailed(user.error());
  bool ok = false;
  if (*user) {
    ok = verifyPassword(creds->password, (*user)->password_hash);
  } else {
    verifyNothing(creds->password);  // as slow as a real check: no telling which names exist
  }
  if (!ok) {
    app.login_limiter->failed(creds->name, peer);
    spdlog::info("failed login for \"{}\" from {}", creds->name, peer);
    return errorResponse({http::status::unauthorized, "wrong name or password", {}});
  }
  app.login_limiter->succeeded(creds->name);
  auto issued = issueToken(app, **user, "session", "login from " + peer);
  if (!issued) return catalogueFailed(issued.error());
  nlohmann::json j{{"token", issued->second}, {"token_id", issued->first.id}, {"user", userJson(**user)}};
  Response r = jsonResponse(http::status::created, j.dump());
  r.header.set(http::field::set_cookie, sessionCookie(issued->second));
  return r;
}

Response createUser(App& app, const std::optional<Identity>& caller, const std::string& body) {
  bool by_admin = caller && caller->user.admin;
  auto creds = parseCredentials(body, by_admin);
  if (!creds) return badBody(creds.error());
  std::optional<User> user_row;
  try {
    user_row = newUser(*creds);
  } catch (const std::exception& e) {  // Argon2id's 64 MiB could not be had
    spdlog::error("create user: {}", e.what());
    return errorResponse({http::status::service_unavailable, "the server is short of memory; try again shortly", {}});
  }
  auto created = app.accounts->createUser(*user_row);
  if (!created) return catalogueFailed(created.error());
  if (!*created) return errorResponse({http::status::conflict, "the name " + creds->name + " is taken; pick another", {}});
  auto user = app.accounts->findUserByName(creds->name);
  if (!user || !*user) return errorResponse({http::status::internal_server_error, "the catalogue failed; try again later", {}});
  spdlog::info("created user \"{}\"{}", creds->name, creds->admin ? " (admin)" : "");
  return jsonResponse(http::status::created, userJson(**user).dump());
}

}  // namespace

std::unique_ptr<RequestHandler> makeCreateUser(App& app, std::optional<Identity> caller) {
  return std::make_unique<SmallBodyHandler>(
      [&app, caller = std::move(caller)](const std::string& body) { return createUser(app, caller, body); });
}

std::unique_ptr<RequestHandler> makeLogin(App& app, std::string peer) {
  return std::make_unique<SmallBodyHandler>(
      [&app, peer = std::move(peer)](const std::string& body) { return login(app, peer, body); });
}

std::unique_ptr<RequestHandler> makeCreateToken(App& app, Identity who) {
  return std::make_unique<SmallBodyHandler>([&app, who = std::move(who)](const std::string& body) {
    auto label = parseTokenLabel(body);
    if (!label) return badBody(label.error());
    auto issued = issueToken(app, who.user, "api", *label);
    if (!issued) return catalogueFailed(issued.error());
    nlohmann::json j{{"id", issued->first.id}, {"token", issued->second}, {"label", issued->first.label}};
    return jsonResponse(http::status::created, j.dump());
  });
}

Response logout(App& app, const Identity& who) {
  if (!who.token_id.empty()) {
    if (auto r = app.accounts->removeToken(who.token_id); !r) return catalogueFailed(r.error());
  }
  Response r = emptyResponse(http::status::no_content);
  r.header.set(http::field::set_cookie, sessionCookie(""));
  return r;
}

Response currentSession(const Identity& who) {
  return jsonResponse(http::status::ok, nlohmann::json{{"user", userJson(who.user)}, {"token_id", who.token_id}}.dump());
}

Response deleteToken(App& app, const Identity& who, const std::string& token_id) {
  auto token = app.accounts->findTokenById(token_id);
  if (!token) return catalogueFailed(token.error());
  if (!*token) return errorResponse({http::status::not_found, "no token " + token_id, {}});
  if ((*token)->user_id != who.user.id && !who.user.admin)
    return errorResponse({http::status::forbidden, "the token " + token_id + " belongs to another user", {}});
  if (auto r = app.accounts->removeToken(token_id); !r) return catalogueFailed(r.error());
  return emptyResponse(http::status::no_content);
}

ferry::Result<void> createFirstUser(AccountCatalog& accounts, const std::string& name, const std::string& password) {
  if (!isValidUserName(name))
    return ferry::fail(ferry::errc::invalid_argument, "a name is 1 to 64 letters, digits, '.', '_' or '-'");
  if (password.size() < kMinPasswordBytes || password.size() > kMaxPasswordBytes)
    return ferry::fail(ferry::errc::invalid_argument, "a password is 8 to 1024 bytes");
  auto created = accounts.createUser(newUser(Credentials{name, password, true}));
  if (!created) return tl::unexpected(created.error());
  if (!*created) return ferry::fail(ferry::errc::invalid_argument, "the name " + name + " is taken");
  return {};
}

}  // namespace vf
