// Accounts on PostgreSQL: two instances on one database accept each other's tokens, and the
// whole authorization matrix holds with videos made on one and writes sent to the other.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "accounts_harness.hpp"
#include "postgres_fixture.hpp"

namespace vf::test {
namespace {
using ferry::test::TempDir;

TEST(VideoFarmAccountsPostgres, TwoInstancesShareAccountsAndTokens) {
  if (postgresBinDir().empty()) GTEST_SKIP() << "PostgreSQL is not installed (scripts/install-deps.sh installs it)";
  PostgresServer pg;
  TempDir shared("vf-shared");
  const Account admin{"root", "correct horse battery", ""};
  auto made = createUserCommand(shared.path(), {"--database", pg.url()}, admin.name, admin.password);
  ASSERT_EQ(made.exit_code, 0) << made.out;
  ServerProcess a({"--database", pg.url()}, shared.path(), Writes::Accounts);
  ServerProcess b({"--database", pg.url()}, shared.path(), Writes::Accounts);

  Cast cast = makeCast(a, admin);
  expectAuthorizationMatrix(a, b, cast);
  // A token revoked on B no longer works on A.
  std::string token = login(b, cast.other.name, cast.other.password);
  EXPECT_EQ(curlAs(token, {"-F", "title=x", a.url("/videos")}).status, 303);
  EXPECT_EQ(curlAs(token, {"-X", "DELETE", b.url("/sessions")}).status, 204);
  EXPECT_EQ(curlAs(token, {"-F", "title=x", a.url("/videos")}).status, 401);

  // What PostgreSQL holds: Argon2id strings and digests, never a password or a token.
  auto dump = pg.query("SELECT name, password_hash FROM users; SELECT digest FROM tokens;");
  for (const auto& secret : {admin.password, cast.owner.password, cast.other.password, cast.owner.token, token})
    EXPECT_EQ(dump.find(secret), std::string::npos) << secret;
  EXPECT_NE(dump.find("owner|$argon2id$"), std::string::npos) << dump;
}

}  // namespace
}  // namespace vf::test
