#include "engine/scheduler.hpp"

namespace ferry::engine {

namespace {
int countOf(const auto& map, const auto& key) {
  auto it = map.find(key);
  return it == map.end() ? 0 : it->second;
}

void decrement(auto& map, const auto& key) {
  auto it = map.find(key);
  if (it == map.end()) return;
  if (--it->second <= 0) map.erase(it);
}
}  // namespace

GroupLimits Scheduler::limitsOf(const std::string& group) const {
  auto it = limits_.find(group);
  return it == limits_.end() ? GroupLimits{} : it->second;
}

std::optional<std::string> Scheduler::blockReason(const std::string& group, const std::string& host_key) const {
  const GroupLimits limits = limitsOf(group);
  if (running_total_ >= max_total_ || countOf(running_per_group_, group) >= limits.max_concurrent)
    return "concurrency-limit";
  if (countOf(running_per_host_, std::make_pair(group, host_key)) >= limits.max_per_host)
    return "connection-limit";
  return std::nullopt;
}

void Scheduler::onStarted(const std::string& group, const std::string& host_key) {
  ++running_total_;
  ++running_per_group_[group];
  ++running_per_host_[{group, host_key}];
}

void Scheduler::onStopped(const std::string& group, const std::string& host_key) {
  --running_total_;
  decrement(running_per_group_, group);
  decrement(running_per_host_, std::make_pair(group, host_key));
}

}  // namespace ferry::engine
