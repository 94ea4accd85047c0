#include "daemon/failpoint.hpp"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <string>

namespace ferry::daemon {
namespace {

struct Failpoint {
  std::string name;  // empty: none armed
  long after = 0;
  std::atomic<long> passes{0};

  Failpoint() {
    const char* spec = std::getenv("FERRYD_FAILPOINT");
    if (spec == nullptr) return;
    const std::string text(spec);
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) return;
    name = text.substr(0, colon);
    after = std::strtol(text.c_str() + colon + 1, nullptr, 10);
  }
};

Failpoint& armed() {
  static Failpoint point;
  return point;
}

}  // namespace

void failpointReached(std::string_view name) {
  Failpoint& p = armed();
  if (p.name.empty() || p.name != name) return;
  if (++p.passes == p.after) std::raise(SIGKILL);
}

}  // namespace ferry::daemon
