#pragma once
// What the integration tests share: a ferryd started in a temp dir, the fixture HTTP server, and a
// SessionDelegate that records every callback so tests can assert order and counts.

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ferry/control.hpp"
#include "ferry/session.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"

namespace ferry::test {

// ferryd on a socket and state directory inside `root`. Tests start and kill it explicitly;
// sessions made with config() never start a daemon of their own.
inline constexpr std::uint64_t MiB = 1024 * 1024;

// The two kinds of session a parameterised suite runs against: background (ferryd) and default
// (in this process). kindName names the instances Background / InProcess.
enum class Kind { background, in_process };
inline std::string kindName(const ::testing::TestParamInfo<Kind>& info) {
  return info.param == Kind::background ? "Background" : "InProcess";
}

class Ferryd {
 public:
  explicit Ferryd(const std::filesystem::path& root, std::vector<std::string> extra_args = {});
  ~Ferryd();

  void start();
  // Variables added to ferryd's environment from the next start() on (http_proxy, ...).
  void setEnvironment(std::map<std::string, std::string> env) { env_ = std::move(env); }
  void kill9();
  void terminate();  // SIGTERM and wait
  bool running();
  pid_t pid() const { return process_ ? process_->pid() : -1; }

  const std::filesystem::path& socket() const { return socket_; }
  const std::filesystem::path& stateDir() const { return state_dir_; }
  std::string log() const { return readFile(log_); }
  // FERRY_SOCKET / FERRY_STATE_DIR for child processes (ferryctl, test programs).
  std::map<std::string, std::string> env() const;
  Configuration config(const std::string& session) const;
  std::unique_ptr<Control> control() const;
  // A column of a task's row in ferryd's database, as text ("" when there is no such row): what
  // ferryd keeps and will run (the request's JSON, the durable offset...).
  std::string storedTaskColumn(std::uint64_t id, const std::string& column) const;
  // How many tasks ferryd has, of every session (0 when it does not answer).
  std::size_t taskCount() const;

  // Runs ferryctl with this daemon's environment.
  CommandResult ferryctl(const std::vector<std::string>& args, std::chrono::milliseconds timeout = std::chrono::seconds(120)) const;

 private:
  std::filesystem::path socket_;
  std::filesystem::path state_dir_;
  std::filesystem::path log_;
  std::vector<std::string> extra_args_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Process> process_;
};

// tests/servers/fixture_server.py serving `file` with the given options on a fresh port.
class FixtureServer {
 public:
  FixtureServer(const std::filesystem::path& file, std::vector<std::string> options, const std::filesystem::path& log);
  std::string url(const std::string& path = "/file.bin") const;
  int port() const { return port_; }

 private:
  int port_;
  std::unique_ptr<Process> process_;
};

// Records delegate callbacks as strings: "write", "resume:<offset>", "finish:<task>", "complete:<task>:<code or ok>",
// "drained", "invalid", "response:<task>:<status>", "data:<task>", "redirect:<task>:<status>:<url>". Optionally moves finished files into `keep_dir` (as an application would).
class RecordingDelegate : public SessionDelegate {
 public:
  explicit RecordingDelegate(std::filesystem::path keep_dir = {}) : keep_dir_(std::move(keep_dir)) {}

  void didWriteData(Session&, DownloadTask&, std::int64_t, std::int64_t total, std::int64_t) override;
  void didResumeAtOffset(Session&, DownloadTask& task, std::int64_t offset, std::int64_t) override;
  void didFinishDownloadingTo(Session&, DownloadTask& task, const std::filesystem::path& location) override;
  void didFinishCollectingMetrics(Session&, Task& task, const TaskMetrics& metrics) override;
  void didComplete(Session&, DownloadTask& task, const Completion& completion) override;
  void didFinishEvents(Session&) override;
  void didBecomeInvalid(Session&, const std::optional<Error>& error) override;
  void didSendBodyData(Session&, UploadTask&, std::int64_t, std::int64_t total, std::int64_t) override;
  void didReceiveResponse(Session&, UploadTask& task, long status,
                          const std::vector<std::pair<std::string, std::string>>& headers) override;
  void didReceiveData(Session&, UploadTask& task, const std::string& data) override;
  // Records "redirect:<task>:<status>:<url>" and answers what setFollowRedirects said (true).
  bool willPerformHTTPRedirection(Session&, UploadTask& task, long status, const std::string& new_url) override;
  void setFollowRedirects(bool follow);

  bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(120));
  bool waitForCompletion(std::uint64_t task, std::chrono::milliseconds timeout = std::chrono::seconds(120));

  // All access under the lock: copies.
  std::vector<std::string> events();
  std::optional<Completion> completion(std::uint64_t task);
  // What didFinishCollectingMetrics said (not in events(): it comes before every didComplete
  // that carries metrics), and whether it came before that didComplete.
  std::optional<TaskMetrics> metrics(std::uint64_t task);
  bool metricsBeforeCompletion(std::uint64_t task);
  std::optional<std::filesystem::path> location(std::uint64_t task);    // as reported
  std::optional<std::filesystem::path> kept(std::uint64_t task);        // where we moved it
  std::vector<std::int64_t> resumeOffsets(std::uint64_t task);
  std::int64_t lastWritten();
  std::int64_t lastSent();
  std::string responseBody(std::uint64_t task);
  int count(const std::string& prefix);

 private:
  void record(std::string e);
  std::filesystem::path keep_dir_;
  std::recursive_mutex mutex_;  // recursive: waitFor predicates call the accessors
  std::condition_variable_any cv_;
  std::vector<std::string> events_;
  std::map<std::uint64_t, Completion> completions_;
  std::map<std::uint64_t, TaskMetrics> metrics_;
  std::set<std::uint64_t> metrics_first_;
  std::map<std::uint64_t, std::filesystem::path> locations_;
  std::map<std::uint64_t, std::filesystem::path> kept_;
  std::map<std::uint64_t, std::vector<std::int64_t>> resumes_;
  std::int64_t last_written_ = 0;
  std::int64_t last_sent_ = 0;
  std::map<std::uint64_t, std::string> bodies_;
  bool follow_redirects_ = true;
};

}  // namespace ferry::test
