#include "login_limiter.hpp"

namespace vf {

std::optional<std::chrono::seconds> LoginLimiter::lockedFor(const std::string& key, Clock::time_point now) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.locked_until <= now) return std::nullopt;
  // Rounded up, so a client that waits Retry-After seconds is never early.
  auto left = std::chrono::ceil<std::chrono::seconds>(it->second.locked_until - now);
  return std::max(left, std::chrono::seconds(1));
}

std::optional<std::chrono::seconds> LoginLimiter::blocked(const std::string& name, const std::string& address,
                                                          Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto account = lockedFor("u:" + name, now);
  auto from = lockedFor("a:" + address, now);
  if (account && from) return std::max(*account, *from);
  return account ? account : from;
}

void LoginLimiter::count(const std::string& key, std::size_t limit, Clock::time_point now) {
  auto& e = entries_[key];
  // Failures older than one lockout period no longer count.
  if (e.failures == 0 || now - e.window_start > lockout_) {
    e.failures = 0;
    e.window_start = now;
  }
  if (++e.failures >= limit) {
    e.locked_until = now + lockout_;
    e.failures = 0;
  }
}

void LoginLimiter::failed(const std::string& name, const std::string& address, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (max_failures_ == 0) return;
  if (entries_.size() >= kMaxEntries) forgetStale(now);
  count("u:" + name, max_failures_, now);
  count("a:" + address, max_failures_ * kAddressFactor, now);
}

void LoginLimiter::succeeded(const std::string& name) {
  std::lock_guard lock(mutex_);
  entries_.erase("u:" + name);
}

void LoginLimiter::forgetStale(Clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    bool stale = it->second.locked_until <= now && now - it->second.window_start > lockout_;
    it = stale ? entries_.erase(it) : std::next(it);
  }
  // Still full (a flood within one period): forget the oldest half rather than grow.
  while (entries_.size() >= kMaxEntries) entries_.erase(entries_.begin());
}

}  // namespace vf
