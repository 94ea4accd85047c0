// Accounts and ownership on the SQLite catalogue: who may write what, what is stored, the login
// brake, the cookie's CSRF defence, registration, --private, and a database from before accounts.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>

#include "accounts_harness.hpp"

namespace vf::test {
namespace {
using ferry::test::readFile;
using ferry::test::runCommand;
using ferry::test::TempDir;

const Account kAdmin{"root", "correct horse battery", ""};

// A data directory whose administrator exists, and a server with accounts on it.
struct AccountsServer {
  explicit AccountsServer(std::vector<std::string> args = {}) {
    auto made = createUserCommand(data.path(), {}, kAdmin.name, kAdmin.password);
    EXPECT_EQ(made.exit_code, 0) << made.out;
    server = std::make_unique<ServerProcess>(std::move(args), data.path(), Writes::Accounts);
  }
  TempDir data{"vf-accounts"};
  std::unique_ptr<ServerProcess> server;
};

TEST(VideoFarmAccounts, AuthorizationMatrix) {
  AccountsServer s;
  Cast cast = makeCast(*s.server, kAdmin);
  expectAuthorizationMatrix(*s.server, *s.server, cast);
}

TEST(VideoFarmAccounts, PasswordsAndTokensAreNotStoredInClear) {
  AccountsServer s;
  Cast cast = makeCast(*s.server, kAdmin);
  auto made = postJson(*s.server, "/tokens", R"({"label": "laptop"})", cast.owner.token);
  ASSERT_EQ(made.status, 201) << made.body;
  std::string api_token = nlohmann::json::parse(made.body)["token"];
  EXPECT_EQ(curlAs(api_token, {"-F", "title=by api token", s.server->url("/videos")}).status, 303);

  // Every byte of the database and its write-ahead log.
  std::string bytes;
  for (const auto& e : std::filesystem::directory_iterator(s.data.path()))
    if (e.path().filename().string().rfind("catalog.sqlite3", 0) == 0) bytes += readFile(e.path());
  for (const auto& secret : {cast.admin.password, cast.owner.password, cast.other.password, cast.owner.token,
                             cast.admin.token, api_token})
    EXPECT_EQ(bytes.find(secret), std::string::npos) << "found in the database: " << secret;

  auto db = (s.data.path() / "catalog.sqlite3").string();
  auto hashes = runCommand({"sqlite3", db, "SELECT password_hash FROM users"});
  std::istringstream lines(hashes.out);
  int users = 0;
  for (std::string line; std::getline(lines, line); ++users) EXPECT_EQ(line.rfind("$argon2id$", 0), 0u) << line;
  EXPECT_EQ(users, 3);
  auto digests = runCommand({"sqlite3", db, "SELECT digest FROM tokens"});
  EXPECT_TRUE(std::regex_search(digests.out, std::regex("^[0-9a-f]{64}$", std::regex::multiline))) << digests.out;
}

TEST(VideoFarmAccounts, FailedLoginsAreRateLimitedPerAccountAndAddress) {
  AccountsServer s({"--login-max-failures", "3", "--login-lockout-s", "600"});
  auto bad = [&](const std::string& name) {
    return postJson(*s.server, "/sessions", nlohmann::json{{"name", name}, {"password", "wrong password"}}.dump());
  };
  for (int i = 0; i < 3; ++i) EXPECT_EQ(bad(kAdmin.name).status, 401);
  auto locked = postJson(*s.server, "/sessions",
                         nlohmann::json{{"name", kAdmin.name}, {"password", kAdmin.password}}.dump());
  EXPECT_EQ(locked.status, 429) << locked.body;  // even the right password, while locked
  EXPECT_GE(std::stoi(locked.header("retry-after")), 1);
  EXPECT_NE(locked.body.find("wait"), std::string::npos);

  // Per address: four times the account limit over any names (3 failures so far).
  for (int i = 0; i < 8; ++i) EXPECT_EQ(bad("nobody" + std::to_string(i)).status, 401) << i;
  auto last = bad("nobody-last");
  EXPECT_EQ(last.status, 401);
  EXPECT_EQ(bad("somebody-else").status, 429);
}

TEST(VideoFarmAccounts, CookieWritesNeedTheServersOwnOrigin) {
  AccountsServer s;
  auto answer = postJson(*s.server, "/sessions", nlohmann::json{{"name", kAdmin.name}, {"password", kAdmin.password}}.dump());
  ASSERT_EQ(answer.status, 201);
  auto cookie = answer.header("set-cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
  std::string pair = cookie.substr(0, cookie.find(';'));
  auto origin = "http://127.0.0.1:" + std::to_string(s.server->port());

  auto post = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"-H", "Cookie: " + pair, "-F", "title=by cookie"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(s.server->url("/videos"));
    return curl(args);
  };
  auto none = post({});
  EXPECT_EQ(none.status, 403);
  EXPECT_NE(none.body.find("Origin"), std::string::npos) << none.body;
  EXPECT_EQ(post({"-H", "Origin: http://evil.example"}).status, 403);
  EXPECT_EQ(post({"-H", "Origin: " + origin}).status, 303);
  // Reads with the cookie need no Origin; GET /sessions says who is logged in.
  auto me = curl({"-H", "Cookie: " + pair, s.server->url("/sessions")});
  EXPECT_EQ(me.status, 200);
  EXPECT_EQ(nlohmann::json::parse(me.body)["user"]["name"], kAdmin.name);
  // Log out: the cookie is cleared and its token no longer works.
  auto out = curl({"-X", "DELETE", "-H", "Cookie: " + pair, "-H", "Origin: " + origin, s.server->url("/sessions")});
  EXPECT_EQ(out.status, 204);
  EXPECT_NE(out.header("set-cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(post({"-H", "Origin: " + origin}).status, 401);
}

TEST(VideoFarmAccounts, RegistrationTokensAndPrivateLibrary) {
  {
    AccountsServer s;
    Cast cast = makeCast(*s.server, kAdmin);
    auto user = R"({"name": "mallory", "password": "mallory-password"})";
    EXPECT_EQ(postJson(*s.server, "/users", user).status, 401);                   // closed by default
    EXPECT_EQ(postJson(*s.server, "/users", user, cast.owner.token).status, 403);  // not an admin
    EXPECT_EQ(postJson(*s.server, "/users", R"({"name": "owner", "password": "another-one"})", cast.admin.token).status,
              409);
    EXPECT_EQ(curl({s.server->url("/videos")}).status, 200);  // reading stays public

    // An API token: revoked by its owner, not by another user.
    auto made = postJson(*s.server, "/tokens", "", cast.owner.token);
    ASSERT_EQ(made.status, 201) << made.body;
    auto token = nlohmann::json::parse(made.body);
    std::string id = token["id"];
    EXPECT_EQ(curlAs(cast.other.token, {"-X", "DELETE", s.server->url("/tokens/" + id)}).status, 403);
    EXPECT_EQ(curlAs(cast.owner.token, {"-X", "DELETE", s.server->url("/tokens/" + id)}).status, 204);
    EXPECT_EQ(curlAs(token["token"].get<std::string>(), {"-F", "title=x", s.server->url("/videos")}).status, 401);
    EXPECT_EQ(curlAs(cast.owner.token, {"-X", "DELETE", s.server->url("/tokens/" + id)}).status, 404);
  }
  {
    AccountsServer s({"--open-registration", "--private"});
    auto made = postJson(*s.server, "/users", R"({"name": "newcomer", "password": "newcomer-password"})");
    EXPECT_EQ(made.status, 201) << made.body;
    EXPECT_EQ(nlohmann::json::parse(made.body)["admin"], false);
    // Only an administrator may make an administrator.
    EXPECT_EQ(postJson(*s.server, "/users", R"({"name": "boss", "password": "boss-password", "admin": true})").status, 400);
    auto list = curl({s.server->url("/videos")});
    EXPECT_EQ(list.status, 401);
    EXPECT_NE(list.body.find("private"), std::string::npos);
    std::string token = login(*s.server, "newcomer", "newcomer-password");
    EXPECT_EQ(curlAs(token, {s.server->url("/videos")}).status, 200);
    EXPECT_EQ(curl({s.server->url("/")}).status, 200);  // the page itself, to log in from
  }
}

TEST(VideoFarmAccounts, MalformedCredentialsGetClearErrors) {
  AccountsServer s;
  auto url = s.server->url("/videos");
  for (std::string header :
       {"Authorization: Basic cm9vdDpwdw==", "Authorization: Bearer", "Authorization: Bearer a b", "Authorization: Bearer ",
        "Authorization: Bearer vf_zz", "Authorization: Bearer vf_\xff\xfe"}) {
    auto answer = curl({"-H", header, "-F", "title=x", url});
    EXPECT_EQ(answer.status, 401) << header << ": " << answer.body;
    EXPECT_TRUE(nlohmann::json::parse(answer.body, nullptr, false).contains("error")) << answer.body;
  }
  // Control characters are refused by the HTTP parser itself.
  EXPECT_EQ(curl({"-H", "Authorization: Bearer \x01\x02", "-F", "title=x", url}).status, 400);
  for (std::string cookie : {"vf_session", "vf_session=", "=; ;;", "vf_session=\"\"", "vf_session=vf_123; x=y"})
    EXPECT_EQ(curl({"-H", "Cookie: " + cookie, "-F", "title=x", url}).status, 401) << cookie;
  for (std::string body : {"", "{", "[]", "{\"name\": 1, \"password\": \"xxxxxxxxx\"}",
                                  "{\"name\": \"../x\", \"password\": \"xxxxxxxxx\"}", "{\"name\": \"a\", \"password\": \"short\"}",
                                  "{\"name\": \"a\", \"password\": \"xxxxxxxxx\", \"extra\": 1}", "\"\xff\xfe\""})
    EXPECT_EQ(postJson(*s.server, "/sessions", body).status, 400) << body;
  EXPECT_EQ(curl({"-d", "name=a", s.server->url("/sessions")}).status, 415);
  EXPECT_EQ(postJson(*s.server, "/sessions", "{\"name\": \"" + std::string(10000, 'a') + "\"}").status, 413);
}

TEST(VideoFarmAccounts, VideosFromBeforeAccountsBelongToAdministratorsOnly) {
  TempDir data("vf-old");
  std::filesystem::create_directories(data / "videos" / "00000000000000aa");
  // The first release's schema, with one video in it.
  auto made = runCommand({"sqlite3", (data / "catalog.sqlite3").string(),
                          "CREATE TABLE videos(seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, "
                          "title TEXT NOT NULL, description TEXT NOT NULL, created_at_ms INTEGER NOT NULL, "
                          "thumbnail_type TEXT, movie_size INTEGER, movie_type TEXT, movie_duration REAL);"
                          "CREATE TABLE uploads(token TEXT PRIMARY KEY, video_id TEXT NOT NULL, protocol TEXT NOT NULL, "
                          "length INTEGER, offset_bytes INTEGER NOT NULL, expires_at_ms INTEGER NOT NULL, "
                          "metadata TEXT NOT NULL, complete INTEGER NOT NULL DEFAULT 0);"
                          "INSERT INTO videos(id, title, description, created_at_ms) "
                          "VALUES('00000000000000aa', 'old', 'from before', 1700000000000);"});
  ASSERT_EQ(made.exit_code, 0) << made.out;
  ASSERT_EQ(createUserCommand(data.path(), {}, kAdmin.name, kAdmin.password).exit_code, 0);
  ServerProcess server({}, data.path(), Writes::Accounts);
  Cast cast = makeCast(server, kAdmin);

  auto old = curl({server.url("/videos/00000000000000aa")});
  ASSERT_EQ(old.status, 200) << old.body;
  EXPECT_TRUE(nlohmann::json::parse(old.body)["owner_id"].is_null());
  auto refused = curlAs(cast.owner.token, {"-X", "DELETE", server.url("/videos/00000000000000aa")});
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("administrator"), std::string::npos) << refused.body;
  EXPECT_EQ(curlAs(cast.admin.token, {"-X", "DELETE", server.url("/videos/00000000000000aa")}).status, 204);
  // A new video gets its owner.
  std::string id = createVideoAs(server, cast.owner.token, "new");
  EXPECT_FALSE(nlohmann::json::parse(curl({server.url("/videos/" + id)}).body)["owner_id"].is_null());
}

TEST(VideoFarmAccounts, CreateUserRefusesBadInput) {
  TempDir data("vf-create");
  EXPECT_NE(createUserCommand(data.path(), {}, "bad name!", "long enough password").exit_code, 0);
  EXPECT_NE(createUserCommand(data.path(), {}, "short", "short").exit_code, 0);
  EXPECT_EQ(createUserCommand(data.path(), {}, "admin", "long enough password").exit_code, 0);
  auto again = createUserCommand(data.path(), {}, "admin", "long enough password");
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.out.find("taken"), std::string::npos) << again.out;
}

}  // namespace
}  // namespace vf::test
