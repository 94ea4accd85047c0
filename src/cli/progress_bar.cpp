#include "progress_bar.hpp"

#include <algorithm>

#include "common/human_units.hpp"

namespace ferry::cli {

using units::humanBytes;
using units::humanDuration;
using units::humanRate;

void ProgressBar::update(std::uint64_t total_written, std::optional<std::uint64_t> expected) {
  auto now = std::chrono::steady_clock::now();
  if (last_ != std::chrono::steady_clock::time_point{} && total_written >= last_written_) {
    double dt = std::chrono::duration<double>(now - last_).count();
    if (dt > 0.05) {
      double instant = static_cast<double>(total_written - last_written_) / dt;
      rate_ = rate_ == 0 ? instant : 0.7 * rate_ + 0.3 * instant;
      last_ = now;
      last_written_ = total_written;
    }
  } else {
    last_ = now;
    last_written_ = total_written;
  }
  written_ = total_written;
  if (expected) expected_ = expected;
}

std::string ProgressBar::render(const std::string& label, int width) const {
  std::string eta = "--:--";
  if (expected_ && *expected_ > 0 && rate_ > 0)
    eta = humanDuration(static_cast<double>(*expected_ - std::min(written_, *expected_)) / rate_);
  return label + " " + units::progressBar(written_, expected_, width) + " " + humanBytes(written_) + "  " +
         humanRate(rate_) + "  ETA " + eta;
}

}  // namespace ferry::cli
