#pragma once
// Terminal progress bars: "name  [=====>     ]  45%  12.3 MiB/s  ETA 0:12".

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace ferry::cli {

// Tracks one transfer's rate (smoothed) and renders its bar.
class ProgressBar {
 public:
  void update(std::uint64_t total_written, std::optional<std::uint64_t> expected);
  std::string render(const std::string& label, int width = 30) const;

 private:
  std::uint64_t written_ = 0;
  std::optional<std::uint64_t> expected_;
  double rate_ = 0;  // bytes/s, exponentially smoothed
  std::uint64_t last_written_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace ferry::cli
