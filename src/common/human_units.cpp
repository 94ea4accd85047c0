#include "common/human_units.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ferry::units {
namespace {

std::string scaled(double value, const char* suffix) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (value >= 1024 && u < 5) {
    value /= 1024;
    ++u;
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s%s" : "%.1f %s%s", value, kUnits[u], suffix);
  return buf;
}

}  // namespace

std::string humanBytes(std::uint64_t bytes) { return scaled(static_cast<double>(bytes), ""); }

std::string humanRate(double bytes_per_second) {
  if (!std::isfinite(bytes_per_second) || bytes_per_second < 0) bytes_per_second = 0;
  return scaled(bytes_per_second, "/s");
}

std::string humanDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const long s = static_cast<long>(seconds);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

std::string progressBar(std::uint64_t done, std::optional<std::uint64_t> total, int width) {
  const auto cells = static_cast<std::size_t>(std::max(0, width));
  if (!total || *total == 0) return "[" + std::string(cells, '?') + "]   ?%";
  const double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(*total));
  const auto filled = static_cast<std::size_t>(fraction * static_cast<double>(cells));
  std::string bar = std::string(filled, '=') + (filled < cells ? ">" : "") +
                    std::string(filled + 1 < cells ? cells - filled - 1 : 0, ' ');
  char percent[8];
  std::snprintf(percent, sizeof percent, "%3d%%", static_cast<int>(fraction * 100));
  return "[" + bar + "] " + percent;
}

}  // namespace ferry::units
