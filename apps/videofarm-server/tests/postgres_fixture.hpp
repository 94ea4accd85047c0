#pragma once
// A real PostgreSQL for tests: initdb in a temp dir, on loopback, stopped by the destructor.
// PostgreSQL refuses to run as root: then it runs as the "postgres" user, through setpriv(1),
// which execs in place so the test's process handle is the postmaster itself.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/fixtures.hpp"
#include "support/process.hpp"

namespace vf::test {

// Where initdb and postgres are; empty when PostgreSQL is not installed.
std::filesystem::path postgresBinDir();

class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  std::string url(const std::string& database = "postgres") const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
  }
  // Runs SQL through psql; its output (unaligned, tuples only).
  std::string query(const std::string& sql) const;

 private:
  static std::vector<std::string> asPostgres(std::vector<std::string> argv);

  ferry::test::TempDir dir_{"vf-postgres"};
  int port_ = 0;
  std::unique_ptr<ferry::test::Process> process_;
};

}  // namespace vf::test
