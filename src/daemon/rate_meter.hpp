#pragma once
// Bytes per second over the last few seconds, from the progress the engine reports: what
// `ferryctl status` shows as current rates. Lives on the IPC thread.

#include <chrono>
#include <cstdint>
#include <deque>
#include <utility>

namespace ferry::daemon {

class RateMeter {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kWindow{3};

  void add(std::uint64_t bytes, Clock::time_point now = Clock::now()) {
    samples_.emplace_back(now, bytes);
    total_ += bytes;
    forgetBefore(now - kWindow);
  }

  // Bytes moved in the last kWindow, per second.
  double bytesPerSecond(Clock::time_point now = Clock::now()) {
    forgetBefore(now - kWindow);
    return static_cast<double>(total_) / std::chrono::duration<double>(kWindow).count();
  }

 private:
  void forgetBefore(Clock::time_point limit) {
    while (!samples_.empty() && samples_.front().first < limit) {
      total_ -= samples_.front().second;
      samples_.pop_front();
    }
  }

  std::deque<std::pair<Clock::time_point, std::uint64_t>> samples_;
  std::uint64_t total_ = 0;
};

}  // namespace ferry::daemon
