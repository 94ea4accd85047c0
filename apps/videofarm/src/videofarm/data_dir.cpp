#include "videofarm/data_dir.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace videofarm {

std::filesystem::path defaultDataDir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg == '/') return std::filesystem::path(xdg) / "videofarm";
  const char* home = std::getenv("HOME");
  if (!home || !*home) {
    if (auto* pw = getpwuid(getuid())) home = pw->pw_dir;
  }
  return std::filesystem::path(home ? home : "/tmp") / ".local/share/videofarm";
}

}  // namespace videofarm
