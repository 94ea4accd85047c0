#pragma once
// Admission control: how many transfers may run at once, in total, per group (session) and per
// host within a group. The engine asks it for each queued job in FIFO order.

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "engine/transfer.hpp"

namespace ferry::engine {

class Scheduler {
 public:
  explicit Scheduler(int max_total_concurrent) : max_total_(max_total_concurrent) {}

  void setLimits(const std::string& group, GroupLimits limits) { limits_[group] = limits; }

  // Why a job of `group` to `host_key` may not start now ("concurrency-limit" or
  // "connection-limit"), or nullopt when it may.
  std::optional<std::string> blockReason(const std::string& group, const std::string& host_key) const;

  bool totalLimitReached() const { return running_total_ >= max_total_; }

  void onStarted(const std::string& group, const std::string& host_key);
  void onStopped(const std::string& group, const std::string& host_key);
  GroupLimits limitsOf(const std::string& group) const;

 private:

  int max_total_;
  int running_total_ = 0;
  std::map<std::string, GroupLimits> limits_;
  std::map<std::string, int> running_per_group_;
  std::map<std::pair<std::string, std::string>, int> running_per_host_;  // (group, host_key)
};

}  // namespace ferry::engine
