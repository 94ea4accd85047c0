#include "accounts_harness.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>

namespace vf::test {
namespace {

using ferry::test::TempDir;

enum class Who { None, Bad, Revoked, Other, Owner, Admin };
constexpr Who kEveryone[] = {Who::None, Who::Bad, Who::Revoked, Who::Other, Who::Owner, Who::Admin};

const char* whoName(Who w) {
  switch (w) {
    case Who::None: return "no token";
    case Who::Bad: return "bad token";
    case Who::Revoked: return "revoked token";
    case Who::Other: return "other user";
    case Who::Owner: return "owner";
    case Who::Admin: return "admin";
  }
  return "?";
}

std::optional<std::string> tokenOf(const Cast& cast, Who w) {
  switch (w) {
    case Who::None: return std::nullopt;
    case Who::Bad: return std::string("vf_") + std::string(64, 'a');
    case Who::Revoked: return cast.revoked;
    case Who::Other: return cast.other.token;
    case Who::Owner: return cast.owner.token;
    case Who::Admin: return cast.admin.token;
  }
  return std::nullopt;
}

// One write endpoint: what the owner prepares on the setup server (a video, an upload) and the
// request under test, sent to the target with a given token.
struct Endpoint {
  std::string name;
  int success;  // the status when allowed
  bool any_user;  // POST /videos: any user may, there is no owner yet
  std::function<std::string(const ServerProcess&, const std::string& owner_token)> prepare;
  std::function<HttpAnswer(const ServerProcess&, const std::optional<std::string>&, const std::string&)> act;
};

const std::string kBody = "0123456789abcdef0123456789abcdef";

std::string ietfUpload(const ServerProcess& s, const std::string& token) {
  std::string id = createVideoAs(s, token, "ietf");
  auto created = curlAs(token, {"-X", "POST", "-H", "Upload-Draft-Interop-Version: 8", "-H", "Upload-Complete: ?0",
                                "--data-binary", kBody.substr(0, 10), s.url("/videos/" + id + "/movie")});
  EXPECT_EQ(created.status, 201) << created.body;
  return created.header("location");
}

std::string tusUpload(const ServerProcess& s, const std::string& token) {
  std::string id = createVideoAs(s, token, "tus");
  auto created = curlAs(token, {"-X", "POST", "-H", "Tus-Resumable: 1.0.0", "-H",
                                "Upload-Length: " + std::to_string(kBody.size()), s.url("/tus/videos/" + id)});
  EXPECT_EQ(created.status, 201) << created.body;
  return created.header("location");
}

std::vector<Endpoint> endpoints(const std::filesystem::path& movie) {
  auto video = [](const ServerProcess& s, const std::string& t) { return createVideoAs(s, t, "matrix"); };
  return {
      {"POST /videos", 303, true, [](const ServerProcess&, const std::string&) { return std::string(); },
       [](const ServerProcess& s, const std::optional<std::string>& t, const std::string&) {
         return curlAs(t, {"-F", "title=new", s.url("/videos")});
       }},
      {"PUT movie", 201, false, video,
       [movie](const ServerProcess& s, const std::optional<std::string>& t, const std::string& id) {
         return curlAs(t, {"-T", movie.string(), s.url("/videos/" + id + "/movie")});
       }},
      {"IETF upload creation", 201, false, video,
       [](const ServerProcess& s, const std::optional<std::string>& t, const std::string& id) {
         return curlAs(t, {"-X", "POST", "-H", "Upload-Draft-Interop-Version: 8", "-H", "Upload-Complete: ?0",
                           "--data-binary", "abc", s.url("/videos/" + id + "/movie")});
       }},
      {"IETF append", 201, false, ietfUpload,
       [](const ServerProcess& s, const std::optional<std::string>& t, const std::string& location) {
         return curlAs(t, {"-X", "PATCH", "-H", "Upload-Draft-Interop-Version: 8", "-H", "Upload-Offset: 10", "-H",
                           "Upload-Complete: ?1", "-H", "Content-Type: application/partial-upload", "--data-binary",
                           kBody.substr(10), s.url(location)});
       }},
      {"IETF upload delete", 204, false, ietfUpload,
       [](const ServerProcess& s, const std::optional<std::string>& t, const std::string& location) {
         return curlAs(t, {"-X", "DELETE", "-H", "Upload-Draft-Interop-Version: 8", s.url(location)});
       }},
      {"tus creation", 201, false, video,
       [](const ServerProcess& s, const std::optional<std::string>& t, const std::string& id) {
         return curlAs(t, {"-X", "POST", "-H", "Tus-Resumable: 1.0.0", "-H", "Upload-Length: 5",
                           s.url("/tus/videos/" + id)});
       }},
      {"tus append", 204, false, tusUpload,
       [](const ServerProcess& s, const std::optional<std::string>& t, const std::string& location) {
         return curlAs(t, {"-X", "PATCH", "-H", "Tus-Resumable: 1.0.0", "-H", "Upload-Offset: 0", "-H",
                           "Content-Type: application/offset+octet-stream", "--data-binary", kBody, s.url(location)});
       }},
      {"tus delete", 204, false, tusUpload,
       [](const ServerProcess& s, const std::optional<std::string>& t, const std::string& location) {
         return curlAs(t, {"-X", "DELETE", "-H", "Tus-Resumable: 1.0.0", s.url(location)});
       }},
      {"DELETE video", 204, false, video,
       [](const ServerProcess& s, const std::optional<std::string>& t, const std::string& id) {
         return curlAs(t, {"-X", "DELETE", s.url("/videos/" + id)});
       }},
  };
}

int expectedStatus(const Endpoint& e, Who w) {
  if (w == Who::None || w == Who::Bad || w == Who::Revoked) return 401;
  if (w == Who::Other && !e.any_user) return 403;
  return e.success;
}

}  // namespace

ferry::test::CommandResult createUserCommand(const std::filesystem::path& data_dir, const std::vector<std::string>& db_args,
                                             const std::string& name, const std::string& password) {
  std::vector<std::string> argv{(ferry::test::binDir() / "videofarm-server").string(), "--data-dir", data_dir.string()};
  argv.insert(argv.end(), db_args.begin(), db_args.end());
  argv.insert(argv.end(), {"--create-user", name});
  return ferry::test::runCommand(argv, {}, std::chrono::seconds(60), password + "\n");
}

HttpAnswer curlAs(const std::optional<std::string>& token, std::vector<std::string> args) {
  if (token) args.insert(args.begin(), {"-H", "Authorization: Bearer " + *token});
  return curl(args);
}

HttpAnswer postJson(const ServerProcess& server, const std::string& path, const std::string& json,
                    const std::optional<std::string>& token) {
  return curlAs(token, {"-H", "Content-Type: application/json", "--data-binary", json, server.url(path)});
}

std::string login(const ServerProcess& server, const std::string& name, const std::string& password) {
  auto answer = postJson(server, "/sessions", nlohmann::json{{"name", name}, {"password", password}}.dump());
  EXPECT_EQ(answer.status, 201) << answer.body;
  auto j = nlohmann::json::parse(answer.body, nullptr, false);
  return j.is_object() ? j.value("token", "") : "";
}

std::string createVideoAs(const ServerProcess& server, const std::string& token, const std::string& title) {
  auto answer = curlAs(token, {"-F", "title=" + title, server.url("/videos")});
  EXPECT_EQ(answer.status, 303) << answer.body;
  auto location = answer.header("location");
  return location.size() > 8 ? location.substr(8) : "";
}

Cast makeCast(const ServerProcess& server, const Account& admin_account) {
  Cast cast;
  cast.admin = admin_account;
  cast.admin.token = login(server, admin_account.name, admin_account.password);
  cast.owner = {"owner", "owner-password", ""};
  cast.other = {"other", "other-password", ""};
  for (Account* a : {&cast.owner, &cast.other}) {
    auto made = postJson(server, "/users", nlohmann::json{{"name", a->name}, {"password", a->password}}.dump(),
                         cast.admin.token);
    EXPECT_EQ(made.status, 201) << made.body;
    a->token = login(server, a->name, a->password);
  }
  cast.revoked = login(server, cast.owner.name, cast.owner.password);
  EXPECT_EQ(curlAs(cast.revoked, {"-X", "DELETE", server.url("/sessions")}).status, 204);
  return cast;
}

void expectAuthorizationMatrix(const ServerProcess& setup, const ServerProcess& target, const Cast& cast) {
  TempDir tmp;
  ferry::test::writeFile(tmp / "movie", kBody);
  for (const auto& e : endpoints(tmp / "movie")) {
    for (Who w : kEveryone) {
      std::string prepared = e.prepare(setup, cast.owner.token);
      auto answer = e.act(target, tokenOf(cast, w), prepared);
      EXPECT_EQ(answer.status, expectedStatus(e, w)) << e.name << " as " << whoName(w) << ": " << answer.body;
      if (answer.status == 401 || answer.status == 403) {
        // Refusals are JSON that says what to do.
        auto j = nlohmann::json::parse(answer.body, nullptr, false);
        EXPECT_TRUE(j.is_object() && j.contains("error")) << e.name << ": " << answer.body;
      }
      if (answer.status == 401) {
        EXPECT_EQ(answer.header("www-authenticate"), "Bearer realm=\"videofarm\"");
      }
    }
  }
}

}  // namespace vf::test
