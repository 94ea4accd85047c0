#include "format.hpp"

namespace videofarm::cli {

std::string padded(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

std::string progressBar(std::uint64_t done, std::optional<std::uint64_t> total, int width) {
  const std::string bar = ferry::units::progressBar(done, total, width);
  if (!total || *total == 0) return bar + "  " + humanBytes(done);
  return bar + "  " + humanBytes(done) + " / " + humanBytes(*total);
}

}  // namespace videofarm::cli
