// ferry-bench-client: the libferry application of the daemon benchmarks (bench/daemon/daemon-bench.py).
//
//   ferry-bench-client --socket S --session ID --manifest FILE [--concurrency N] [--submitters K]
//                      [--batch N] [--wait | --serial] [--times FILE] [--ca-file PEM] [--http1]
//
// MANIFEST: one download per line, "URL DESTINATION" ("-": no destination; ferryd's own file,
// removed after didFinishDownloadingTo). Every task is created and resumed at once.
//
//   (default)  submits every line from K threads (one session; libferry's calls may overlap, and
//              ferryd batches their commits), prints one JSON line and detaches: the tasks go on
//              in ferryd (the queued-tasks and start-up benchmarks). With --batch N, N lines at a
//              time through Session::downloadTasks (one round trip per 1,000), from one thread.
//   --ca-file  trust this CA (the session's transport setting); --http1: HTTP/1.1 only (no h2).
//   --wait     the same, then waits for every didComplete (the many-downloads benchmark).
//   --in-process  a default session in this process (no ferryd; --socket is not needed); with
//              --data every line is a data task (the body in memory, handed to a completion
//              handler) instead of a download. Implies --wait.
//   --serial   one download at a time: submit, wait for its didComplete, next (the latency
//              benchmark); --times gets "INDEX REALTIME_SECONDS" per didComplete, taken as the
//              callback starts (CLOCK_REALTIME, to compare with nginx's $msec).
//
// Prints {"tasks":N,"ok":N,"failed":N,"submit_seconds":S,"seconds":S,"first_error":"..."}: seconds
// from the first submission to the last didComplete (or to the last submission without --wait).
// Exit status 0 when every submission (and with --wait/--serial every task) succeeded.

#include <ferry/session.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double realtimeNow() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Line {
  std::string url, destination;
};

// Counts didComplete callbacks; waiters block until a number is reached.
class CountingDelegate : public ferry::SessionDelegate {
 public:
  void didComplete(ferry::Session&, ferry::Task& task, const ferry::Completion& c) override {
    record(task.identifier(), c.error);
  }
  void record(std::uint64_t task, const std::optional<ferry::Error>& error) {
    const double at = realtimeNow();
    std::lock_guard lock(mutex_);
    completed_at_.push_back({task, at});
    if (!error) {
      ++ok_;
    } else {
      ++failed_;
      if (first_error_.empty()) first_error_ = error->describe();
    }
    // Only the waiter's number wakes it: a wake-up per task would be the bench's own cost.
    if (ok_ + failed_ >= target_) changed_.notify_all();
  }

  void waitFor(std::size_t total) {
    std::unique_lock lock(mutex_);
    target_ = total;
    changed_.wait(lock, [&] { return ok_ + failed_ >= total; });
    target_ = 0;
  }
  std::size_t ok() {
    std::lock_guard lock(mutex_);
    return ok_;
  }
  std::size_t failed() {
    std::lock_guard lock(mutex_);
    return failed_;
  }
  std::string firstError() {
    std::lock_guard lock(mutex_);
    return first_error_;
  }
  std::vector<std::pair<std::uint64_t, double>> completedAt() {
    std::lock_guard lock(mutex_);
    return completed_at_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t ok_ = 0, failed_ = 0;
  std::size_t target_ = 0;  // what waitFor waits for (0: nobody waits, a notify costs nothing)
  std::string first_error_;
  std::vector<std::pair<std::uint64_t, double>> completed_at_;
};

struct Args {
  std::string socket, session, manifest, times, ca_file;
  int concurrency = 16;
  int submitters = 32;
  std::size_t batch = 0;
  bool http1 = false;
  bool wait = false;
  bool serial = false;
  bool in_process = false;
  bool data = false;
};

int usage() {
  std::cerr << "usage: ferry-bench-client --socket S --session ID --manifest FILE [--concurrency N] [--submitters K]\n"
               "                          [--batch N] [--wait | --serial] [--times FILE] [--ca-file PEM] [--http1]\n";
  return 2;
}

// A data task whose handler counts its end (a 16 KiB body is checked by its size only).
std::uint64_t submitData(ferry::Session& session, CountingDelegate& delegate, const Line& line, std::string& error) {
  auto id = std::make_shared<std::atomic<std::uint64_t>>(0);
  auto task = session.dataTask(ferry::Request(line.url), [&delegate, id](ferry::Result<ferry::Response> r) {
    if (!r) return delegate.record(id->load(), r.error());
    if (r->status_code != 200) return delegate.record(id->load(), ferry::Error("http-error", "status " + std::to_string(r->status_code)));
    delegate.record(id->load(), std::nullopt);
  });
  if (!task) {
    error = task.error().describe();
    return 0;
  }
  id->store(task->identifier());
  if (auto resumed = task->resume(); !resumed) {
    error = resumed.error().describe();
    return 0;
  }
  return task->identifier();
}

ferry::DownloadOptions optionsFor(const Line& line) {
  ferry::DownloadOptions options;
  options.start = true;
  if (line.destination != "-") options.destination = line.destination;
  return options;
}

// Creates one download, running (one round trip); returns its task id, or 0 with `error` set.
std::uint64_t submit(ferry::Session& session, const Line& line, std::string& error) {
  auto task = session.downloadTask(ferry::Request(line.url), optionsFor(line));
  if (!task) {
    error = task.error().describe();
    return 0;
  }
  return task->identifier();
}

// Creates lines[from, to) running, in one downloadTasks call; returns how many were refused.
std::size_t submitBatch(ferry::Session& session, const std::vector<Line>& lines, std::size_t from, std::size_t to,
                        std::string& error) {
  std::vector<ferry::DownloadRequest> batch;
  batch.reserve(to - from);
  for (std::size_t i = from; i < to; ++i) batch.push_back({ferry::Request(lines[i].url), optionsFor(lines[i])});
  std::size_t refused = 0;
  for (const auto& task : session.downloadTasks(batch)) {
    if (task) continue;
    if (refused++ == 0) error = task.error().describe();
  }
  return refused;
}

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    out += c;
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (k == "--socket") a.socket = next();
    else if (k == "--session") a.session = next();
    else if (k == "--manifest") a.manifest = next();
    else if (k == "--times") a.times = next();
    else if (k == "--concurrency") a.concurrency = std::atoi(next().c_str());
    else if (k == "--submitters") a.submitters = std::atoi(next().c_str());
    else if (k == "--batch") a.batch = static_cast<std::size_t>(std::atoll(next().c_str()));
    else if (k == "--ca-file") a.ca_file = next();
    else if (k == "--http1") a.http1 = true;
    else if (k == "--wait") a.wait = true;
    else if (k == "--serial") a.serial = true;
    else if (k == "--in-process") a.in_process = a.wait = true;
    else if (k == "--data") a.data = true;
    else return usage();
  }
  if ((!a.in_process && (a.socket.empty() || a.session.empty())) || a.manifest.empty() || a.concurrency < 1 ||
      a.submitters < 1 || (a.data && !a.in_process))
    return usage();

  std::vector<Line> lines;
  {
    std::ifstream in(a.manifest);
    Line l;
    while (in >> l.url >> l.destination) lines.push_back(l);
  }
  if (lines.empty()) {
    std::cerr << "no downloads in " << a.manifest << "\n";
    return 2;
  }

  auto delegate = std::make_shared<CountingDelegate>();
  auto config = a.in_process ? ferry::Configuration::defaults()
                             : ferry::Configuration::background(a.session).socketPath(a.socket).startDaemon(false);
  config.maxConcurrentTransfers(a.concurrency).maxConnectionsPerHost(a.concurrency);
  if (!a.ca_file.empty()) config.caFile(a.ca_file);
  if (a.http1) config.http2(false);
  auto session = ferry::Session::create(config, delegate);
  if (!session) {
    std::cerr << "attach failed: " << session.error().describe() << "\n";
    return 1;
  }

  const auto start = Clock::now();
  std::atomic<std::size_t> submit_failures{0};
  std::string submit_error;
  std::mutex submit_error_mutex;
  if (a.serial) {
    for (std::size_t i = 0; i < lines.size(); ++i) {
      std::string error;
      if (submit(**session, lines[i], error) == 0) {
        std::cerr << "submit failed: " << error << "\n";
        return 1;
      }
      delegate->waitFor(i + 1);
    }
  } else if (a.batch > 0 && !a.data) {
    for (std::size_t from = 0; from < lines.size(); from += a.batch) {
      std::string error;
      const std::size_t refused = submitBatch(**session, lines, from, std::min(lines.size(), from + a.batch), error);
      submit_failures += refused;
      if (refused != 0 && submit_error.empty()) submit_error = error;
    }
  } else {
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < a.submitters; ++t) {
      threads.emplace_back([&] {
        for (std::size_t i = next++; i < lines.size(); i = next++) {
          std::string error;
          const auto id = a.data ? submitData(**session, *delegate, lines[i], error) : submit(**session, lines[i], error);
          if (id == 0) {
            ++submit_failures;
            std::lock_guard lock(submit_error_mutex);
            if (submit_error.empty()) submit_error = error;
          }
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  const double submit_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (a.wait && submit_failures == 0) delegate->waitFor(lines.size());
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  if (!a.times.empty()) {
    std::ofstream out(a.times, std::ios::trunc);
    out.precision(6);
    std::size_t index = 0;
    for (const auto& [task, at] : delegate->completedAt()) out << index++ << " " << std::fixed << at << "\n";
  }
  std::string first_error = submit_error.empty() ? delegate->firstError() : submit_error;
  std::printf("{\"tasks\":%zu,\"ok\":%zu,\"failed\":%zu,\"submit_failures\":%zu,\"submit_seconds\":%.3f,\"seconds\":%.3f,"
              "\"first_error\":%s}\n",
              lines.size(), delegate->ok(), delegate->failed(), submit_failures.load(), submit_seconds, seconds,
              jsonString(first_error).c_str());
  std::fflush(stdout);
  session->reset();
  const bool waited = a.wait || a.serial;
  return submit_failures == 0 && (!waited || delegate->failed() == 0) ? 0 : 1;
}
