#pragma once
// Brute-force brake for POST /sessions: after `max_failures` failed logins for one account, or
// four times as many from one address, further attempts are refused (429 + Retry-After) for the
// lockout time, even with the right password. Kept in memory per instance: a restart forgets it,
// and instances behind one load balancer count separately (each still brakes). The I/O threads of
// one instance share one (its calls lock).

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace vf {

class LoginLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  LoginLimiter(std::size_t max_failures, std::chrono::seconds lockout)
      : max_failures_(max_failures), lockout_(lockout) {}

  // How long to wait before the next attempt, when either the account or the address is locked.
  std::optional<std::chrono::seconds> blocked(const std::string& name, const std::string& address,
                                              Clock::time_point now = Clock::now());
  void failed(const std::string& name, const std::string& address, Clock::time_point now = Clock::now());
  // A good login forgets the account's failures (not the address's: one real account must not
  // reset the count of an address that guesses at others).
  void succeeded(const std::string& name);

 private:
  struct Entry {
    std::size_t failures = 0;
    Clock::time_point window_start;
    Clock::time_point locked_until;
  };
  static constexpr std::size_t kAddressFactor = 4;
  static constexpr std::size_t kMaxEntries = 100000;  // bounds memory under a flood of names

  std::optional<std::chrono::seconds> lockedFor(const std::string& key, Clock::time_point now) const;
  void count(const std::string& key, std::size_t limit, Clock::time_point now);
  void forgetStale(Clock::time_point now);

  std::size_t max_failures_;
  std::chrono::seconds lockout_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;  // "u:NAME" and "a:ADDRESS"
};

}  // namespace vf
