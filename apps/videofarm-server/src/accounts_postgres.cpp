// Users and tokens in PostgreSQL (tables made by pg_schema.cpp), so that every instance on one
// database knows every account and accepts every token.
#include "account_catalog.hpp"

#ifdef VF_HAVE_LIBPQ

#include "pg_connection.hpp"

namespace vf {
namespace {

using ferry::Result;

constexpr const char* kPgUserColumns = "u.id, u.name, u.password_hash, u.admin, u.created_at_ms";
constexpr const char* kPgTokenColumns = "t.id, t.user_id, t.digest, t.kind, t.label, t.created_at_ms";
constexpr const char* kUniqueViolation = "23505";

User pgUserAt(PGresult* r, int row, int c) {
  return User{pg::text(r, row, c), pg::text(r, row, c + 1), pg::text(r, row, c + 2), pg::boolean(r, row, c + 3),
              pg::integer(r, row, c + 4)};
}

ApiToken pgTokenAt(PGresult* r, int row, int c) {
  return ApiToken{pg::text(r, row, c),     pg::text(r, row, c + 1), pg::text(r, row, c + 2),
                  pg::text(r, row, c + 3), pg::text(r, row, c + 4), pg::integer(r, row, c + 5)};
}

class PostgresAccounts final : public AccountCatalog {
 public:
  explicit PostgresAccounts(std::unique_ptr<pg::Connection> conn) : conn_(std::move(conn)) {}

  Result<bool> createUser(const User& u) override {
    auto r = conn_->exec("INSERT INTO users(id, name, password_hash, admin, created_at_ms) VALUES($1,$2,$3,$4,$5)",
                         {u.id, u.name, u.password_hash, std::string(u.admin ? "true" : "false"),
                          std::to_string(u.created_at_ms)});
    if (!r && conn_->lastState() == kUniqueViolation) return false;
    if (!r) return tl::unexpected(r.error());
    return true;
  }

  Result<std::optional<User>> findUserByName(const std::string& name) override {
    auto r = conn_->exec(std::string("SELECT ") + kPgUserColumns + " FROM users u WHERE u.name = $1", {name});
    if (!r) return tl::unexpected(r.error());
    if (PQntuples(r->get()) == 0) return std::optional<User>();
    return std::optional<User>(pgUserAt(r->get(), 0, 0));
  }

  Result<void> createToken(const ApiToken& t) override {
    auto r = conn_->exec("INSERT INTO tokens(id, user_id, digest, kind, label, created_at_ms) VALUES($1,$2,$3,$4,$5,$6)",
                         {t.id, t.user_id, t.digest, t.kind, t.label, std::to_string(t.created_at_ms)});
    if (!r) return tl::unexpected(r.error());
    return {};
  }

  Result<std::optional<TokenOwner>> findToken(const std::string& digest) override {
    auto r = conn_->exec(std::string("SELECT ") + kPgTokenColumns + ", " + kPgUserColumns +
                             " FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.digest = $1",
                         {digest});
    if (!r) return tl::unexpected(r.error());
    if (PQntuples(r->get()) == 0) return std::optional<TokenOwner>();
    return std::optional<TokenOwner>(TokenOwner{pgTokenAt(r->get(), 0, 0), pgUserAt(r->get(), 0, 6)});
  }

  Result<std::optional<ApiToken>> findTokenById(const std::string& id) override {
    auto r = conn_->exec(std::string("SELECT ") + kPgTokenColumns + " FROM tokens t WHERE t.id = $1", {id});
    if (!r) return tl::unexpected(r.error());
    if (PQntuples(r->get()) == 0) return std::optional<ApiToken>();
    return std::optional<ApiToken>(pgTokenAt(r->get(), 0, 0));
  }

  Result<bool> removeToken(const std::string& id) override {
    auto r = conn_->exec("DELETE FROM tokens WHERE id = $1", {id});
    if (!r) return tl::unexpected(r.error());
    return pg::changedRows(r->get());
  }

 private:
  std::unique_ptr<pg::Connection> conn_;
};

}  // namespace

ferry::Result<std::unique_ptr<AccountCatalog>> openPostgresAccounts(const std::string& conninfo) {
  auto conn = pg::Connection::open(conninfo);
  if (!conn) return tl::unexpected(conn.error());
  return std::unique_ptr<AccountCatalog>(std::make_unique<PostgresAccounts>(std::move(*conn)));
}

}  // namespace vf

#else

namespace vf {

ferry::Result<std::unique_ptr<AccountCatalog>> openPostgresAccounts(const std::string&) {
  return ferry::fail(ferry::errc::invalid_argument, "this build has no PostgreSQL support (libpq-dev was missing)");
}

}  // namespace vf

#endif
