#pragma once
// What the accounts tests share: creating the first administrator with --create-user, logging
// in, requests as a given user, and the authorization matrix run against one or two servers.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "server_fixture.hpp"

namespace vf::test {

struct Account {
  std::string name;
  std::string password;
  std::string token;  // from POST /sessions
};

// videofarm-server --data-dir DIR [db_args] --create-user NAME, the password on standard input.
ferry::test::CommandResult createUserCommand(const std::filesystem::path& data_dir, const std::vector<std::string>& db_args,
                                             const std::string& name, const std::string& password);

// POST /sessions; the token (the test fails when the login does).
std::string login(const ServerProcess& server, const std::string& name, const std::string& password);
HttpAnswer postJson(const ServerProcess& server, const std::string& path, const std::string& json,
                    const std::optional<std::string>& token = std::nullopt);

// curl with "Authorization: Bearer TOKEN" when a token is given.
HttpAnswer curlAs(const std::optional<std::string>& token, std::vector<std::string> args);
// POST /videos as `token`; the new id.
std::string createVideoAs(const ServerProcess& server, const std::string& token, const std::string& title);

// The users of the matrix: an admin (made by --create-user), the owner and another user (made by
// the admin through POST /users), and a token of the owner's that was revoked.
struct Cast {
  Account admin;
  Account owner;
  Account other;
  std::string revoked;
};
// `admin` must already exist; the rest is made through `server`.
Cast makeCast(const ServerProcess& server, const Account& admin);

// Every write endpoint x {no token, bad token, revoked, other user, owner, admin}: 401, 401, 401,
// 403, 2xx, 2xx. Videos and uploads are set up on `setup`, the writes are sent to `target`
// (another instance on the same database, or the same server).
void expectAuthorizationMatrix(const ServerProcess& setup, const ServerProcess& target, const Cast& cast);

}  // namespace vf::test
