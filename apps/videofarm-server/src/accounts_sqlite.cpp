// Users and tokens in the SQLite catalogue file (tables made by sqlite_schema.cpp).
#include "account_catalog.hpp"
#include "sqlite_statement.hpp"
#include "video_catalog.hpp"

namespace vf {
namespace {

using ferry::Result;
using sqlite::dbError;
using sqlite::Statement;

constexpr const char* kUserColumns = "u.id, u.name, u.password_hash, u.admin, u.created_at_ms";
constexpr const char* kTokenColumns = "t.id, t.user_id, t.digest, t.kind, t.label, t.created_at_ms";

User readUserAt(const Statement& s, int c) {
  return User{s.text(c), s.text(c + 1), s.text(c + 2), s.integer(c + 3) != 0, s.integer(c + 4)};
}

ApiToken readTokenAt(const Statement& s, int c) {
  return ApiToken{s.text(c), s.text(c + 1), s.text(c + 2), s.text(c + 3), s.text(c + 4), s.integer(c + 5)};
}

class SqliteAccounts final : public AccountCatalog {
 public:
  explicit SqliteAccounts(sqlite3* db) : db_(db) {}

  Result<bool> createUser(const User& u) override {
    Statement s(db_.get(), "INSERT INTO users(id, name, password_hash, admin, created_at_ms) VALUES(?,?,?,?,?)");
    if (!s.ok()) return tl::unexpected(dbError(db_.get(), "prepare insert user"));
    s.bind(1, u.id).bind(2, u.name).bind(3, u.password_hash).bind(4, std::int64_t{u.admin ? 1 : 0});
    s.bind(5, u.created_at_ms);
    int rc = s.step();
    if (rc == SQLITE_CONSTRAINT) return false;
    if (rc != SQLITE_DONE) return tl::unexpected(dbError(db_.get(), "insert user"));
    return true;
  }

  Result<std::optional<User>> findUserByName(const std::string& name) override {
    std::string sql = std::string("SELECT ") + kUserColumns + " FROM users u WHERE u.name = ?";
    Statement s(db_.get(), sql.c_str());
    if (!s.ok()) return tl::unexpected(dbError(db_.get(), "prepare find user"));
    s.bind(1, name);
    int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<User>();
    if (rc != SQLITE_ROW) return tl::unexpected(dbError(db_.get(), "find user"));
    return std::optional<User>(readUserAt(s, 0));
  }

  Result<void> createToken(const ApiToken& t) override {
    Statement s(db_.get(), "INSERT INTO tokens(id, user_id, digest, kind, label, created_at_ms) VALUES(?,?,?,?,?,?)");
    if (!s.ok()) return tl::unexpected(dbError(db_.get(), "prepare insert token"));
    s.bind(1, t.id).bind(2, t.user_id).bind(3, t.digest).bind(4, t.kind).bind(5, t.label).bind(6, t.created_at_ms);
    if (s.step() != SQLITE_DONE) return tl::unexpected(dbError(db_.get(), "insert token"));
    return {};
  }

  Result<std::optional<TokenOwner>> findToken(const std::string& digest) override {
    std::string sql = std::string("SELECT ") + kTokenColumns + ", " + kUserColumns +
                      " FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.digest = ?";
    Statement s(db_.get(), sql.c_str());
    if (!s.ok()) return tl::unexpected(dbError(db_.get(), "prepare find token"));
    s.bind(1, digest);
    int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<TokenOwner>();
    if (rc != SQLITE_ROW) return tl::unexpected(dbError(db_.get(), "find token"));
    return std::optional<TokenOwner>(TokenOwner{readTokenAt(s, 0), readUserAt(s, 6)});
  }

  Result<std::optional<ApiToken>> findTokenById(const std::string& id) override {
    std::string sql = std::string("SELECT ") + kTokenColumns + " FROM tokens t WHERE t.id = ?";
    Statement s(db_.get(), sql.c_str());
    if (!s.ok()) return tl::unexpected(dbError(db_.get(), "prepare find token"));
    s.bind(1, id);
    int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<ApiToken>();
    if (rc != SQLITE_ROW) return tl::unexpected(dbError(db_.get(), "find token"));
    return std::optional<ApiToken>(readTokenAt(s, 0));
  }

  Result<bool> removeToken(const std::string& id) override {
    Statement s(db_.get(), "DELETE FROM tokens WHERE id = ?");
    if (!s.ok()) return tl::unexpected(dbError(db_.get(), "prepare remove token"));
    s.bind(1, id);
    if (s.step() != SQLITE_DONE) return tl::unexpected(dbError(db_.get(), "remove token"));
    return sqlite3_changes(db_.get()) > 0;
  }

 private:
  std::unique_ptr<sqlite3, sqlite::DbCloser> db_;
};

}  // namespace

Result<std::unique_ptr<AccountCatalog>> openSqliteAccounts(const std::string& path) {
  auto db = sqlite::openDatabase(path);
  if (!db) return tl::unexpected(db.error());
  return std::unique_ptr<AccountCatalog>(std::make_unique<SqliteAccounts>(db->release()));
}

}  // namespace vf
