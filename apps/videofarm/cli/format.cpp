#include "format.hpp"

#include <algorithm>
#include <cstdio>

namespace videofarm::cli {

std::string padded(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

std::string progressBar(std::uint64_t done, std::optional<std::uint64_t> total, int width) {
  if (!total || *total == 0) return "[" + std::string(static_cast<std::size_t>(width), '?') + "]   ?%  " + humanBytes(done);
  const double fraction = std::min(1.0, static_cast<double>(done) / static_cast<double>(*total));
  const int filled = static_cast<int>(fraction * width);
  std::string bar = std::string(static_cast<std::size_t>(filled), '=') + (filled < width ? ">" : "") +
                    std::string(static_cast<std::size_t>(std::max(0, width - filled - 1)), ' ');
  char percent[8];
  std::snprintf(percent, sizeof percent, "%3d%%", static_cast<int>(fraction * 100));
  return "[" + bar + "] " + percent + "  " + humanBytes(done) + " / " + humanBytes(*total);
}

}  // namespace videofarm::cli
