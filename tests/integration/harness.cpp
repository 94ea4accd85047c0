#include "harness.hpp"

#include <signal.h>
#include <sqlite3.h>

#include <stdexcept>

namespace ferry::test {

Ferryd::Ferryd(const std::filesystem::path& root, std::vector<std::string> extra_args)
    : socket_(root / "run" / "ferryd.sock"),
      state_dir_(root / "state"),
      log_(root / "ferryd.log"),
      extra_args_(std::move(extra_args)) {}

Ferryd::~Ferryd() {
  if (process_) process_->kill9AndWait();
}

void Ferryd::start() {
  std::vector<std::string> argv{(binDir() / "ferryd").string(), "--socket", socket_.string(), "--state-dir",
                                state_dir_.string(), "--log-level", "debug"};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  process_ = std::make_unique<Process>(Process::Options{argv, env_, log_, {}, std::nullopt});
  bool up = waitUntil([&] { return std::filesystem::exists(socket_) && Control::connect(socket_, false).has_value(); },
                      std::chrono::seconds(20));
  if (!up) throw std::runtime_error("ferryd did not start: " + log());
}

void Ferryd::kill9() {
  if (process_) process_->kill9AndWait();
  process_.reset();
}

void Ferryd::terminate() {
  if (!process_) return;
  process_->signal(SIGTERM);
  if (!process_->wait(std::chrono::seconds(30))) process_->kill9AndWait();
  process_.reset();
}

bool Ferryd::running() { return process_ && process_->running(); }

std::map<std::string, std::string> Ferryd::env() const {
  return {{"FERRY_SOCKET", socket_.string()}, {"FERRY_STATE_DIR", state_dir_.string()}};
}

Configuration Ferryd::config(const std::string& session) const {
  return Configuration::background(session).socketPath(socket_).startDaemon(false);
}

std::string Ferryd::storedTaskColumn(std::uint64_t id, const std::string& column) const {
  sqlite3* db = nullptr;
  std::string value;
  if (sqlite3_open_v2((state_dir_ / "ferry.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    const std::string sql = "SELECT " + column + " FROM tasks WHERE id = " + std::to_string(id);
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK && sqlite3_step(statement) == SQLITE_ROW)
      if (const unsigned char* text = sqlite3_column_text(statement, 0)) value = reinterpret_cast<const char*>(text);
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return value;
}

std::size_t Ferryd::taskCount() const {
  auto tasks = control()->list(std::nullopt);
  return tasks ? tasks->size() : 0;
}

std::unique_ptr<Control> Ferryd::control() const {
  auto c = Control::connect(socket_, false);
  if (!c) throw std::runtime_error("control connect failed: " + c.error().describe());
  return std::move(*c);
}

CommandResult Ferryd::ferryctl(const std::vector<std::string>& args, std::chrono::milliseconds timeout) const {
  std::vector<std::string> argv{(binDir() / "ferryctl").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return runCommand(argv, env(), timeout);
}

FixtureServer::FixtureServer(const std::filesystem::path& file, std::vector<std::string> options,
                             const std::filesystem::path& log) {
  port_ = freePort();
  std::vector<std::string> argv{"python3", (sourceDir() / "tests/servers/fixture_server.py").string(), "--port",
                                std::to_string(port_), "--file", file.string(), "--log", log.string()};
  argv.insert(argv.end(), options.begin(), options.end());
  auto out = log;
  out += ".out";
  process_ = std::make_unique<Process>(Process::Options{argv, {}, out, {}, std::nullopt});
  if (!waitForPort(port_)) throw std::runtime_error("fixture server did not start: " + readFile(out));
}

std::string FixtureServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

// ---------------------------------------------------------------- RecordingDelegate

void RecordingDelegate::record(std::string e) {
  events_.push_back(std::move(e));
  cv_.notify_all();
}

void RecordingDelegate::didWriteData(Session&, DownloadTask&, std::int64_t, std::int64_t total, std::int64_t) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  last_written_ = total;
  cv_.notify_all();
}

void RecordingDelegate::didResumeAtOffset(Session&, DownloadTask& task, std::int64_t offset, std::int64_t) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  resumes_[task.identifier()].push_back(offset);
  record("resume:" + std::to_string(task.identifier()) + ":" + std::to_string(offset));
}

void RecordingDelegate::didFinishDownloadingTo(Session&, DownloadTask& task, const std::filesystem::path& location) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  locations_[task.identifier()] = location;
  if (!keep_dir_.empty()) {
    auto target = keep_dir_ / ("task-" + std::to_string(task.identifier()));
    std::error_code ec;
    std::filesystem::rename(location, target, ec);
    if (!ec) kept_[task.identifier()] = target;
  }
  record("finish:" + std::to_string(task.identifier()));
}

void RecordingDelegate::didFinishCollectingMetrics(Session&, Task& task, const TaskMetrics& metrics) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  metrics_[task.identifier()] = metrics;
  if (!completions_.contains(task.identifier())) metrics_first_.insert(task.identifier());
}

void RecordingDelegate::didComplete(Session&, DownloadTask& task, const Completion& completion) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  completions_[task.identifier()] = completion;
  record("complete:" + std::to_string(task.identifier()) + ":" + (completion.error ? completion.error->code : "ok"));
}

void RecordingDelegate::didFinishEvents(Session&) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  record("drained");
}

void RecordingDelegate::didSendBodyData(Session&, UploadTask&, std::int64_t, std::int64_t total, std::int64_t) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  last_sent_ = total;
  cv_.notify_all();
}

void RecordingDelegate::didReceiveResponse(Session&, UploadTask& task, long status,
                                           const std::vector<std::pair<std::string, std::string>>&) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  record("response:" + std::to_string(task.identifier()) + ":" + std::to_string(status));
}

bool RecordingDelegate::willPerformHTTPRedirection(Session&, UploadTask& task, long status, const std::string& new_url) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  record("redirect:" + std::to_string(task.identifier()) + ":" + std::to_string(status) + ":" + new_url);
  return follow_redirects_;
}

void RecordingDelegate::setFollowRedirects(bool follow) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  follow_redirects_ = follow;
}

void RecordingDelegate::didReceiveData(Session&, UploadTask& task, const std::string& data) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  bodies_[task.identifier()] += data;
  record("data:" + std::to_string(task.identifier()));
}

std::int64_t RecordingDelegate::lastSent() {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  return last_sent_;
}

std::string RecordingDelegate::responseBody(std::uint64_t task) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  return bodies_.count(task) ? bodies_[task] : std::string();
}

void RecordingDelegate::didBecomeInvalid(Session&, const std::optional<Error>& error) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  record(error ? "invalid:" + error->code : "invalid");
}

bool RecordingDelegate::waitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  std::unique_lock<std::recursive_mutex> lock(mutex_);
  return cv_.wait_for(lock, timeout, condition);
}

bool RecordingDelegate::waitForCompletion(std::uint64_t task, std::chrono::milliseconds timeout) {
  return waitFor([&] { return completions_.count(task) != 0; }, timeout);
}

std::vector<std::string> RecordingDelegate::events() {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  return events_;
}

std::optional<TaskMetrics> RecordingDelegate::metrics(std::uint64_t task) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  auto it = metrics_.find(task);
  if (it == metrics_.end()) return std::nullopt;
  return it->second;
}

bool RecordingDelegate::metricsBeforeCompletion(std::uint64_t task) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  return metrics_first_.contains(task);
}

std::optional<Completion> RecordingDelegate::completion(std::uint64_t task) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  auto it = completions_.find(task);
  if (it == completions_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::filesystem::path> RecordingDelegate::location(std::uint64_t task) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  auto it = locations_.find(task);
  if (it == locations_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::filesystem::path> RecordingDelegate::kept(std::uint64_t task) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  auto it = kept_.find(task);
  if (it == kept_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::int64_t> RecordingDelegate::resumeOffsets(std::uint64_t task) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  return resumes_[task];
}

std::int64_t RecordingDelegate::lastWritten() {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  return last_written_;
}

int RecordingDelegate::count(const std::string& prefix) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  int n = 0;
  for (const auto& e : events_) n += e.rfind(prefix, 0) == 0;
  return n;
}

}  // namespace ferry::test
