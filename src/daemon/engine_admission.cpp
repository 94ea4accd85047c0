#include "daemon/engine_admission.hpp"

#include <algorithm>

#include "protocol/messages.hpp"

namespace ferry::daemon {
namespace {

int windowFor(int limit, int floor) { return std::max(floor, EngineAdmission::kWindowFactor * std::max(limit, 1)); }

}  // namespace

EngineAdmission::SessionQueue& EngineAdmission::sessionQueue(const std::string& session) {
  auto [it, inserted] = sessions_.try_emplace(session);
  if (inserted) {
    const protocol::SessionConfig defaults;
    it->second.window = windowFor(defaults.max_concurrent, kMinSessionWindow);
    it->second.host_window = windowFor(defaults.max_per_host, kMinHostWindow);
  }
  return it->second;
}

void EngineAdmission::setLimits(const std::string& session, int max_concurrent, int max_per_host) {
  auto& queue = sessionQueue(session);
  queue.window = windowFor(max_concurrent, kMinSessionWindow);
  queue.host_window = windowFor(max_per_host, kMinHostWindow);
}

void EngineAdmission::count(std::uint64_t id, SessionQueue& session, HostQueue& host) {
  ++session.admitted;
  ++host.admitted;
  admitted_[id] = Slot{&session, &host};
}

bool EngineAdmission::enter(const Place& place) {
  if (admitted_.count(place.id) != 0) return true;
  auto& session = sessionQueue(place.session);
  auto& host = session.hosts[place.host];
  if (session.admitted < session.window && host.admitted < session.host_window) {
    count(place.id, session, host);
    return true;
  }
  if (host.waiting.insert(keyOf(place)).second) ++waiting_;
  return false;
}

void EngineAdmission::withdraw(const Place& place) {
  auto session = sessions_.find(place.session);
  if (session == sessions_.end()) return;
  auto host = session->second.hosts.find(place.host);
  if (host == session->second.hosts.end()) return;
  waiting_ -= host->second.waiting.erase(keyOf(place));
}

std::vector<std::uint64_t> EngineAdmission::left(std::uint64_t id) {
  auto it = admitted_.find(id);
  if (it == admitted_.end()) return {};
  SessionQueue& session = *it->second.session;
  --session.admitted;
  --it->second.host->admitted;
  admitted_.erase(it);
  return admitFrom(session);
}

std::vector<std::uint64_t> EngineAdmission::admitWaiting(const std::string& session) {
  auto it = sessions_.find(session);
  return it == sessions_.end() ? std::vector<std::uint64_t>{} : admitFrom(it->second);
}

// Fills the session's window with its best waiting tasks whose host has room. A session talks to
// a handful of hosts, so looking at each host's first task is cheap.
std::vector<std::uint64_t> EngineAdmission::admitFrom(SessionQueue& session) {
  std::vector<std::uint64_t> out;
  while (session.admitted < session.window) {
    HostQueue* best = nullptr;
    for (auto& [name, host] : session.hosts) {
      if (host.waiting.empty() || host.admitted >= session.host_window) continue;
      if (best == nullptr || *host.waiting.begin() < *best->waiting.begin()) best = &host;
    }
    if (best == nullptr) break;
    const std::uint64_t id = best->waiting.begin()->id;
    best->waiting.erase(best->waiting.begin());
    --waiting_;
    if (admitted_.count(id) != 0) continue;  // entered again meanwhile: counted already
    count(id, session, *best);
    out.push_back(id);
  }
  return out;
}

}  // namespace ferry::daemon
