#pragma once
// Which running tasks ferryd hands to the engine now, and which wait in ferryd for room first.
//
// The engine keeps a job for every task it is given (about 1 KB with its own copies of the
// request, the paths and the host), although a session runs only max_concurrent of them at once.
// With 100,000 queued tasks those jobs were half of ferryd's memory. So each session hands the
// engine a window of tasks — a few times its limits, per session and per host — and the rest wait
// here, in the order the engine would start them: regular before discretionary, higher priority
// first, then creation order (task id). When a task leaves the engine, the next waiting task of
// its session whose host has room takes its place. The window is wider than the limits so that
// the engine always has the next job at hand when one ends, and per host so that one busy host
// cannot fill the window while another host's tasks wait.
//
// Not counted (the caller does not ask): tasks with a begin date still ahead, which wait in the
// engine without using a slot, and streamed uploads, which wait for their application first.
// Runs on the IPC thread, like TaskManager.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace ferry::daemon {

class EngineAdmission {
 public:
  // What ordering and counting need to know of a task.
  struct Place {
    std::uint64_t id = 0;
    std::string session;
    std::string host;  // scheme://host:port
    bool discretionary = false;
    double priority = 0.5;
  };

  // A session's windows follow its limits (a session never configured has the defaults').
  void setLimits(const std::string& session, int max_concurrent, int max_per_host);

  // True: there is room, and the task counts as in the engine until left(id). False: it waits
  // until left() or admitWaiting() returns it.
  bool enter(const Place& place);

  // A waiting task no longer waits (suspended or cancelled). Nothing if it was not waiting.
  void withdraw(const Place& place);

  // The engine is done with task `id` (nothing if it was not counted). Returns the waiting
  // tasks that take its room, counted already, in order.
  std::vector<std::uint64_t> left(std::uint64_t id);

  // The waiting tasks of `session` that fit now (after setLimits widened its windows).
  std::vector<std::uint64_t> admitWaiting(const std::string& session);

  std::size_t waitingCount() const { return waiting_; }
  std::size_t admittedCount() const { return admitted_.size(); }

  // A window is this many times the limit it covers, and never smaller than the floor.
  static constexpr int kWindowFactor = 4;
  static constexpr int kMinSessionWindow = 32;
  static constexpr int kMinHostWindow = 16;

 private:
  struct Key {
    bool discretionary;
    double negative_priority;  // so that the set's first element has the highest priority
    std::uint64_t id;
    auto operator<=>(const Key&) const = default;
  };
  struct HostQueue {
    int admitted = 0;
    std::set<Key> waiting;
  };
  struct SessionQueue {
    int window = 0;
    int host_window = 0;
    int admitted = 0;
    std::map<std::string, HostQueue> hosts;  // nodes are never erased: Slot points into them
  };
  struct Slot {
    SessionQueue* session;
    HostQueue* host;
  };

  static Key keyOf(const Place& place) { return {place.discretionary, -place.priority, place.id}; }
  SessionQueue& sessionQueue(const std::string& session);
  void count(std::uint64_t id, SessionQueue& session, HostQueue& host);
  std::vector<std::uint64_t> admitFrom(SessionQueue& session);

  std::map<std::string, SessionQueue> sessions_;  // never erased: Slot points into it
  std::unordered_map<std::uint64_t, Slot> admitted_;
  std::size_t waiting_ = 0;
};

}  // namespace ferry::daemon
