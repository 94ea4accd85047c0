#include "postgres_fixture.hpp"

#include <glob.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>

namespace vf::test {
using namespace std::chrono_literals;
using ferry::test::Process;
using ferry::test::runCommand;

std::filesystem::path postgresBinDir() {
  glob_t g{};
  std::filesystem::path found;
  if (::glob("/usr/lib/postgresql/*/bin/initdb", 0, nullptr, &g) == 0 && g.gl_pathc > 0)
    found = std::filesystem::path(g.gl_pathv[g.gl_pathc - 1]).parent_path();
  ::globfree(&g);
  return found;
}

PostgresServer::PostgresServer() {
    auto bin = postgresBinDir();
    if (bin.empty()) throw std::runtime_error("PostgreSQL is not installed");
    std::filesystem::permissions(dir_.path(), std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                                  std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                                  std::filesystem::perms::others_exec);
    auto data = dir_ / "pgdata";
    auto sock = dir_ / "sock";
    std::filesystem::create_directories(data);
    std::filesystem::create_directories(sock);
    if (::geteuid() == 0) {
      passwd* pw = ::getpwnam("postgres");
      if (pw == nullptr) throw std::runtime_error("no postgres user to run PostgreSQL as");
      for (const auto& p : {data, sock}) {
        if (::chown(p.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("chown failed");
      }
    }
    auto init = runCommand(asPostgres({(bin / "initdb").string(), "-D", data.string(), "-U", "postgres", "--auth=trust",
                                       "-E", "UTF8", "--no-sync"}));
    if (init.exit_code != 0) throw std::runtime_error("initdb failed: " + init.out);
    port_ = ferry::test::freePort();
    process_ = std::make_unique<Process>(Process::Options{
        asPostgres({(bin / "postgres").string(), "-D", data.string(), "-p", std::to_string(port_), "-k", sock.string(),
                    "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"}),
        {}, dir_ / "postgres.log", {}, std::nullopt});
    bool ready = ferry::test::waitUntil(
        [&] {
          return runCommand({(bin / "pg_isready").string(), "-h", "127.0.0.1", "-p", std::to_string(port_)}).exit_code == 0;
        },
        20s);
    if (!ready) throw std::runtime_error("postgres did not start: " + ferry::test::readFile(dir_ / "postgres.log"));
  }
PostgresServer::~PostgresServer() {
    process_->signal(SIGINT);  // fast shutdown: backends go too
    process_->wait(10s);
  }

std::string PostgresServer::query(const std::string& sql) const {
  auto r = runCommand({(postgresBinDir() / "psql").string(), "-h", "127.0.0.1", "-p", std::to_string(port_), "-U",
                       "postgres", "-At", "-c", sql});
  return r.out;
}

std::vector<std::string> PostgresServer::asPostgres(std::vector<std::string> argv) {
    if (::geteuid() != 0) return argv;
    std::vector<std::string> wrapped{"setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"};
    wrapped.insert(wrapped.end(), argv.begin(), argv.end());
    return wrapped;
  }
}  // namespace vf::test
