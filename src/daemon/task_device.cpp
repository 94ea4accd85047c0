// TaskManager and the machine's state (src/device): which tasks wait for it (phase `held`, with
// waiting_for saying why) and which go on, decided for every task by device::waitReason from its
// session's and its own settings. A held task has no engine job, so it spends neither retries
// nor back-off; it starts the moment the state allows (a route back, an unmetered network, mains
// power, the machine awake). A task in the engine that the state no longer allows is stopped with
// StopIntent::hold: its checkpoint makes its bytes durable and it continues later by Range.

#include <spdlog/spdlog.h>

#include "daemon/task_manager.hpp"
#include "engine/url_check.hpp"

namespace ferry::daemon {
namespace {

// A transfer quiet for this long when the default route moves is taken as stuck on the old path.
constexpr auto kStalledAfter = std::chrono::seconds(1);

bool waitsInEngineForRetry(const Task& t) { return t.waiting_for.str().rfind("retry-backoff", 0) == 0; }

// The engine holds it back on purpose (a slot, a date, a decision): it has no connection to lose.
bool waitsInEngineForItsTurn(const Task& t) {
  const std::string& w = t.waiting_for;
  return w == "concurrency-limit" || w == "connection-limit" || w == "discretionary" || w == "redirect-decision" ||
         w.rfind("begin-date", 0) == 0;
}

// Why a task in the engine should start its transfer again now, or null. After the default route
// moved or the machine woke, its connection most likely died with the old path: a transfer quiet
// for a second, or one waiting for a retry, gets a new one at once, not after the stall timeout
// or the back-off. After any other change of routes, one waiting to retry because it could not
// reach its server tries now (a route may have come back); a server's own back-off (503,
// Retry-After) is kept.
const char* restartReason(const Task& t, const device::DeviceChange& change, std::chrono::steady_clock::time_point now) {
  const bool stalled = !waitsInEngineForItsTurn(t) && (now - t.details().last_progress >= kStalledAfter || waitsInEngineForRetry(t));
  if (change.network_moved && stalled) return "a network change";
  if (change.sleeping == false && stalled) return "sleep";
  if (change.routes && waitsInEngineForRetry(t) && t.details().retrying_after_network_error) return "a change of routes";
  return nullptr;
}

}  // namespace

// Its server, or its session's proxy when it goes through one (the proxy is what must be reached).
device::TaskNeeds TaskManager::needsOf(const Task& t) const {
  const auto& config = sessions_.config(t.session);
  const auto& proxy = config.transport.proxy;
  device::TaskNeeds needs;
  needs.destination = device::Destination::parse(engine::hostOf(!proxy.empty() && proxy != "direct" ? proxy : t.request.url));
  needs.allows_expensive = config.allows_expensive_network_access && t.scheduling.allows_expensive_network;
  needs.allows_constrained = config.allows_constrained_network_access && t.scheduling.allows_constrained_network;
  needs.needs_external_power = t.scheduling.discretionary || t.scheduling.requires_external_power;
  return needs;
}

std::optional<std::string_view> TaskManager::heldBecause(const Task& t) const {
  if (!device_view_) return std::nullopt;
  return device::waitReason(needsOf(t), device_view_());
}

void TaskManager::releaseHeld(Task& t) { t.details().checkpoint_in_flight ? restartOnceDurable(t) : startEngine(t); }

void TaskManager::applyDeviceState(const device::DeviceChange& change) {
  if (shutting_down_) return;
  const auto now = std::chrono::steady_clock::now();
  for (auto& [id, t] : tasks_) {
    switch (t.phase) {
      case Phase::held:
        if (auto reason = heldBecause(t); !reason) {
          releaseHeld(t);
        } else if (t.waiting_for != *reason) {
          t.waiting_for = std::string(*reason);
          publishTransient(t, protocol::TaskStateChanged{"running", t.waiting_for});
        }
        break;
      case Phase::queued:
      case Phase::awaiting_body:  // a streamed upload: a new stream is asked for once it may run
        if (heldBecause(t)) transition(t, Phase::held);
        break;
      case Phase::in_engine:
        if (heldBecause(t)) {
          stopInEngine(t, StopIntent::hold);
        } else if (const char* why = restartReason(t, change, now)) {
          spdlog::info("task {}: restarting its transfer after {}", t.id, why);
          stopInEngine(t, StopIntent::resume);
        }
        break;
      case Phase::stopping:  // a hold the state no longer asks for restarts; a restart it forbids holds
        if (t.stop_intent == StopIntent::hold && !heldBecause(t)) stopInEngine(t, StopIntent::resume);
        else if (t.stop_intent == StopIntent::resume && heldBecause(t)) stopInEngine(t, StopIntent::hold);
        break;
      default:
        break;
    }
  }
}

void TaskManager::whenEngineIdle(std::function<void()> done) {
  if (engine_jobs_ == 0) return whenDurable(std::move(done));
  idle_waiters_.push_back(std::move(done));
}

void TaskManager::countEngineJob(bool entered) {
  if (entered) {
    if (engine_jobs_++ == 0 && on_engine_busy_) on_engine_busy_(true);
    return;
  }
  if (engine_jobs_ == 0 || --engine_jobs_ != 0) return;
  if (on_engine_busy_) on_engine_busy_(false);
  if (idle_waiters_.empty()) return;
  // After the handler that made the last stop land has submitted its checkpoint: whenDurable
  // then covers it.
  boost::asio::post(io_, [this, waiters = std::exchange(idle_waiters_, {})]() mutable {
    whenDurable([waiters = std::move(waiters)] {
      for (auto& w : waiters) w();
    });
  });
}

}  // namespace ferry::daemon
