#include "common/paths.hpp"

#include <unistd.h>

#include <cstdlib>

namespace ferry::paths {
namespace {
std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}
}  // namespace

std::filesystem::path defaultSocket() {
  if (auto s = env("FERRY_SOCKET")) return *s;
  if (auto rt = env("XDG_RUNTIME_DIR")) return std::filesystem::path(*rt) / "ferry" / "ferryd.sock";
  return std::filesystem::path("/tmp") / ("ferry-" + std::to_string(::getuid())) / "ferryd.sock";
}

std::filesystem::path defaultStateDir() {
  if (auto s = env("FERRY_STATE_DIR")) return *s;
  if (auto st = env("XDG_STATE_HOME")) return std::filesystem::path(*st) / "ferry";
  if (auto home = env("HOME")) return std::filesystem::path(*home) / ".local" / "state" / "ferry";
  return std::filesystem::path("/tmp") / ("ferry-state-" + std::to_string(::getuid()));
}

std::filesystem::path executableDirectory() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return exe.parent_path();
}

}  // namespace ferry::paths
