#pragma once
// Users and their API tokens, behind one interface like the videos' catalogue (SQLite or
// PostgreSQL; the same database). Instances sharing a PostgreSQL accept each other's tokens.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/error.hpp"

namespace vf {

struct User {
  std::string id;             // 16 hex digits
  std::string name;
  std::string password_hash;  // Argon2id string (credentials.hpp), never the password
  bool admin = false;
  std::int64_t created_at_ms = 0;
};

struct ApiToken {
  std::string id;        // 16 hex digits: what DELETE /tokens/ID names; not a secret
  std::string user_id;
  std::string digest;    // tokenDigest() of the secret, which is shown once and kept nowhere
  std::string kind;      // "session" (POST /sessions) or "api" (POST /tokens)
  std::string label;
  std::int64_t created_at_ms = 0;
};

struct TokenOwner {
  ApiToken token;
  User user;
};

class AccountCatalog {
 public:
  virtual ~AccountCatalog() = default;

  // False when the name is taken.
  virtual ferry::Result<bool> createUser(const User& user) = 0;
  virtual ferry::Result<std::optional<User>> findUserByName(const std::string& name) = 0;

  virtual ferry::Result<void> createToken(const ApiToken& token) = 0;
  virtual ferry::Result<std::optional<TokenOwner>> findToken(const std::string& digest) = 0;
  virtual ferry::Result<std::optional<ApiToken>> findTokenById(const std::string& id) = 0;
  // False when there was no such token. Revoked tokens are deleted: nothing of them stays.
  virtual ferry::Result<bool> removeToken(const std::string& id) = 0;
};

// The same file as the videos' SQLite catalogue (its own connection).
ferry::Result<std::unique_ptr<AccountCatalog>> openSqliteAccounts(const std::string& path);
ferry::Result<std::unique_ptr<AccountCatalog>> openPostgresAccounts(const std::string& conninfo);

}  // namespace vf
