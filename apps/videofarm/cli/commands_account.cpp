// login, logout: the token every other command sends (stored 0600 in the data directory).
#include <termios.h>
#include <unistd.h>

#include <iostream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "videofarm/credentials_file.hpp"

namespace videofarm::cli {
namespace {

// One line of standard input; on a terminal, without echo. Never an argument: it would be in `ps`.
std::optional<std::string> readPassword() {
  bool tty = ::isatty(STDIN_FILENO) != 0;
  termios saved{};
  if (tty && ::tcgetattr(STDIN_FILENO, &saved) == 0) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    std::cerr << "password: " << std::flush;
  }
  std::string line;
  bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::cerr << "\n";
  }
  if (!got) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

int runLogin(Context& ctx, const std::string& name) {
  auto password = readPassword();
  if (!password) return report(Error(std::string(errc::invalid_argument), "give the password as one line on standard input"));
  auto token = ctx.api().login(name, *password);
  if (!token) return report(token.error());
  if (auto saved = saveToken(ctx.dataDir(), ctx.api().server(), *token); !saved) return report(saved.error());
  ctx.api().setToken(*token);
  std::cout << "logged in to " << ctx.api().server() << " as " << name << "\n";
  return kExitOk;
}

int runLogout(Context& ctx) {
  if (auto out = ctx.api().logout(); !out) return report(out.error());
  if (auto gone = forgetToken(ctx.dataDir()); !gone) return report(gone.error());
  ctx.api().setToken(std::nullopt);
  std::cout << "logged out of " << ctx.api().server() << "\n";
  return kExitOk;
}

}  // namespace videofarm::cli
