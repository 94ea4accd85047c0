#pragma once
// Shared pieces of the engine's upload tests: a recorder of the engine's events in order, the
// cutting proxy, the VideoFarm server and @tus/server as child processes (support/servers.hpp),
// and upload jobs with test back-offs.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "engine/engine.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/servers.hpp"

namespace ferry::engine::test {

using namespace std::chrono_literals;
namespace ft = ferry::test;
using ft::CutProxy;
using ft::PortProcess;
using ft::python;
using ft::UploadServer;
using ft::VideoFarm;

// Every event the engine sends (the name predates the one Event type).
using AnyEvent = Event;

inline TaskId idOf(const AnyEvent& e) { return taskOf(e); }

// The sink's events in one list, in the order the engine sends them.
class UploadRecorder {
 public:
  Engine::Sink sink() {
    return [this](Event e) { add(std::move(e)); };
  }

  std::optional<Finished> waitFinished(TaskId id, std::chrono::milliseconds timeout = 60s) {
    std::optional<Finished> found;
    waitFor(id, [&](const std::vector<AnyEvent>& events) {
      for (const auto& e : events)
        if (auto* f = std::get_if<Finished>(&e)) found = *f;
      return found.has_value();
    }, timeout);
    return found;
  }

  template <class Predicate>
  bool waitFor(TaskId id, Predicate predicate, std::chrono::milliseconds timeout = 60s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return predicate(eventsOfLocked(id)); });
  }

  template <class T>
  bool waitForA(TaskId id, std::chrono::milliseconds timeout = 60s) {
    return waitFor(id, [](const std::vector<AnyEvent>& events) {
      for (const auto& e : events)
        if (std::holds_alternative<T>(e)) return true;
      return false;
    }, timeout);
  }

  std::vector<AnyEvent> eventsOf(TaskId id) {
    std::lock_guard lock(mutex_);
    return eventsOfLocked(id);
  }

  template <class T>
  std::vector<T> all(TaskId id) {
    std::vector<T> out;
    for (auto& e : eventsOf(id))
      if (auto* x = std::get_if<T>(&e)) out.push_back(*x);
    return out;
  }

 private:
  void add(AnyEvent e) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(e));
    changed_.notify_all();
  }
  std::vector<AnyEvent> eventsOfLocked(TaskId id) const {
    std::vector<AnyEvent> out;
    for (const auto& e : events_)
      if (idOf(e) == id) out.push_back(e);
    return out;
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<AnyEvent> events_;
};

// "W R S F": Waiting, Responded, SendProgress (runs of them as one S), Retrying X, Finished F,
// UploadResourceKnown K, UploadRestarted Z, RedirectProposed D, Progress P.
inline std::string uploadLetters(const std::vector<AnyEvent>& events) {
  std::string out;
  for (const auto& e : events) {
    char c = std::visit(
        [](const auto& x) -> char {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, Waiting>) return 'W';
          if constexpr (std::is_same_v<T, Responded>) return 'R';
          if constexpr (std::is_same_v<T, Progress>) return 'P';
          if constexpr (std::is_same_v<T, Retrying>) return 'X';
          if constexpr (std::is_same_v<T, SendProgress>) return 'S';
          if constexpr (std::is_same_v<T, UploadResourceKnown>) return 'K';
          if constexpr (std::is_same_v<T, UploadRestarted>) return 'Z';
          if constexpr (std::is_same_v<T, RedirectProposed>) return 'D';
          return 'F';
        },
        e);
    if (c == 'S' && !out.empty() && out.back() == 'S') continue;
    if (!out.empty()) out += ' ';
    out += c;
  }
  return out;
}

// A file-body upload with back-offs short enough for tests.
inline UploadJob makeUpload(TaskId id, const std::string& url, const std::filesystem::path& file,
                            const std::filesystem::path& response) {
  UploadJob job;
  job.id = id;
  job.group = "test";
  job.request.url = url;
  job.request.stall_timeout = 10s;
  job.request.connect_timeout = 5s;
  job.body = FileBody{file, std::nullopt};
  job.response_body_path = response;
  job.retry.initial_backoff = 50ms;
  job.retry.max_backoff = 400ms;
  job.retry.resource_deadline = WallClock::now() + 60s;
  return job;
}

// Sum of SendProgress::bytes_sent after the last UploadRestarted (or from the start).
inline std::uint64_t sentSinceRestart(const std::vector<AnyEvent>& events) {
  std::uint64_t sum = 0;
  for (const auto& e : events) {
    if (std::holds_alternative<UploadRestarted>(e)) sum = 0;
    if (auto* p = std::get_if<SendProgress>(&e)) sum += p->bytes_sent;
  }
  return sum;
}

}  // namespace ferry::engine::test
