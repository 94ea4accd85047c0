#include "format.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <string_view>

namespace videofarm::cli {

std::string humanBytes(std::uint64_t bytes) {
  constexpr std::array<std::string_view, 5> units{"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes) / 1024;
  std::size_t unit = 0;
  for (; value >= 1024 && unit + 1 < units.size(); ++unit) value /= 1024;
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, units[unit].data());
  return text;
}

std::string padded(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

std::string progressBar(std::uint64_t done, std::optional<std::uint64_t> total, int width) {
  const auto cells = static_cast<std::size_t>(std::max(0, width));
  if (!total || *total == 0) return "[" + std::string(cells, '?') + "]   ?%  " + humanBytes(done);
  const double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(*total));
  const auto filled = static_cast<std::size_t>(fraction * static_cast<double>(cells));
  std::string bar(cells, ' ');
  std::fill_n(bar.begin(), filled, '=');
  if (filled < cells) bar[filled] = '>';
  char percent[8];
  std::snprintf(percent, sizeof percent, "%3d%%", static_cast<int>(fraction * 100));
  return "[" + bar + "] " + percent + "  " + humanBytes(done) + " / " + humanBytes(*total);
}

}  // namespace videofarm::cli
