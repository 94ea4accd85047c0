#pragma once
// Shared pieces of the engine tests: an event recorder for the Sink, the Python fixture server
// (tests/servers/fixture_server.py) as a child process, and a job with short test back-offs.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"

namespace ferry::engine::test {

using namespace std::chrono_literals;
namespace ft = ferry::test;

// Collects every event the engine sends. Declare it before the Engine, so that the engine (and its
// thread) is gone before the recorder.
class EventRecorder {
 public:
  Engine::Sink sink() {
    return [this](Event event) {
      std::lock_guard lock(mutex_);
      events_.push_back(std::move(event));
      changed_.notify_all();
    };
  }

  std::optional<Finished> waitFinished(TaskId id, std::chrono::milliseconds timeout = 30s) {
    std::unique_lock lock(mutex_);
    std::optional<Finished> found;
    changed_.wait_for(lock, timeout, [&] {
      found = findFinished(id);
      return found.has_value();
    });
    return found;
  }

  // Waits until `predicate(events of id)` holds.
  template <class Predicate>
  bool waitFor(TaskId id, Predicate predicate, std::chrono::milliseconds timeout = 30s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return predicate(eventsOfLocked(id)); });
  }

  std::vector<Event> eventsOf(TaskId id) {
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

  std::vector<Event> all() {
    std::lock_guard lock(mutex_);
    return events_;
  }

  std::size_t count() {
    std::lock_guard lock(mutex_);
    return events_.size();
  }

 private:
  std::vector<Event> eventsOfLocked(TaskId id) const {
    std::vector<Event> out;
    for (const auto& e : events_)
      if (taskOf(e) == id) out.push_back(e);
    return out;
  }
  std::optional<Finished> findFinished(TaskId id) const {
    for (const auto& e : events_)
      if (auto* f = std::get_if<Finished>(&e); f && f->id == id) return *f;
    return std::nullopt;
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Event> events_;
};

template <class T>
std::vector<T> eventsOfType(const std::vector<Event>& events) {
  std::vector<T> out;
  for (const auto& e : events)
    if (auto* x = std::get_if<T>(&e)) out.push_back(*x);
  return out;
}

// A compact picture of the event order, e.g. "W R P P F" (Waiting, Responded, Progress, Retrying
// is "X", Finished).
inline std::string eventLetters(const std::vector<Event>& events) {
  std::string out;
  for (const auto& e : events) {
    if (!out.empty() && out.back() == 'P' && std::holds_alternative<Progress>(e)) continue;  // P+ as P
    if (!out.empty()) out += ' ';
    out += std::visit(
        [](const auto& x) -> char {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, Waiting>) return 'W';
          if constexpr (std::is_same_v<T, Responded>) return 'R';
          if constexpr (std::is_same_v<T, Progress>) return 'P';
          if constexpr (std::is_same_v<T, Retrying>) return 'X';
          return 'F';
        },
        e);
  }
  return out;
}

// tests/servers/fixture_server.py serving `file` on a free loopback port.
class FixtureServer {
 public:
  FixtureServer(const ft::TempDir& dir, const std::filesystem::path& file, std::vector<std::string> options = {})
      : port_(ft::freePort()), log_(dir / ("fixture-" + std::to_string(port_) + ".log")) {
    // The system interpreter starts in a fraction of the time a version-manager shim takes.
    const std::string python = std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
    std::vector<std::string> argv = {python,
                                     (ft::sourceDir() / "tests/servers/fixture_server.py").string(),
                                     "--port",
                                     std::to_string(port_),
                                     "--file",
                                     file.string(),
                                     "--log",
                                     log_.string()};
    argv.insert(argv.end(), options.begin(), options.end());
    process_ = std::make_unique<ft::Process>(
        ft::Process::Options{argv, {}, dir / ("fixture-" + std::to_string(port_) + ".out"), {}, std::nullopt});
    if (!ft::waitForPort(port_)) throw std::runtime_error("fixture server did not start");
  }
  std::string url(const std::string& path = "/file.bin") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::string log() const { return ft::readFile(log_); }
  std::vector<std::string> logLines() const {
    std::vector<std::string> lines;
    std::string text = log(), line;
    for (char c : text) {
      if (c == '\n') {
        lines.push_back(line);
        line.clear();
      } else {
        line += c;
      }
    }
    return lines;
  }

 private:
  int port_;
  std::filesystem::path log_;
  std::unique_ptr<ft::Process> process_;
};

inline ft::NginxServer::Options nginxOptions(const std::filesystem::path& root, std::string limit_rate = "") {
  ft::NginxServer::Options options;
  options.root = root;
  options.limit_rate = std::move(limit_rate);
  return options;
}

// A job with back-offs short enough for tests.
inline DownloadJob makeJob(TaskId id, const std::string& url, const std::filesystem::path& partial) {
  DownloadJob job;
  job.id = id;
  job.group = "test";
  job.request.url = url;
  job.request.stall_timeout = 10s;
  job.request.connect_timeout = 5s;
  job.partial_path = partial;
  job.retry.initial_backoff = 50ms;
  job.retry.max_backoff = 400ms;
  job.retry.resource_deadline = WallClock::now() + 30s;
  return job;
}

// Position of the first event of task `id` of type T in `events`, or npos.
template <class T>
std::size_t indexOf(const std::vector<Event>& events, TaskId id) {
  for (std::size_t i = 0; i < events.size(); ++i)
    if (std::holds_alternative<T>(events[i]) && taskOf(events[i]) == id) return i;
  return std::string::npos;
}

// Validators of `url` as the engine sees them (a HEAD through a throwaway engine).
inline Validators validatorsOf(const std::string& url, const std::filesystem::path& scratch) {
  EventRecorder recorder;
  Engine engine(recorder.sink());
  auto job = DownloadJob{};
  job.id = 999;
  job.request.url = url;
  job.request.method = "HEAD";
  job.partial_path = scratch;
  engine.start(job);
  auto finished = recorder.waitFinished(999);
  if (!finished || finished->error) throw std::runtime_error("HEAD of " + url + " failed");
  std::filesystem::remove(scratch);
  return finished->validators;
}

// The first `n` bytes of a file.
inline std::string prefixOf(const std::filesystem::path& path, std::size_t n) {
  return ft::readFile(path).substr(0, n);
}

}  // namespace ferry::engine::test
