#include "commands.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/digest.hpp"
#include "common/human_units.hpp"
#include "common/overloaded.hpp"
#include "common/url_file_name.hpp"
#include "ferry/control.hpp"
#include "ferry/session.hpp"
#include "protocol/events.hpp"
#include "protocol/groups.hpp"
#include "protocol/messages.hpp"
#include "protocol/requests.hpp"
#include "arguments.hpp"
#include "progress_bar.hpp"

namespace ferry::cli {

int exitCodeFor(const Error& e) {
  if (e.is(errc::daemon_unavailable) || e.is(errc::permission_denied)) return kExitUnavailable;
  if (e.is(errc::already_attached)) return kExitBusy;
  if (e.is(errc::bad_url) || e.is(errc::invalid_argument) || e.is(errc::unsupported_scheme) || e.is(errc::not_found) ||
      e.code.rfind("resume-data", 0) == 0 || e.is(errc::invalid_state))
    return kExitUsage;
  return kExitTaskFailed;
}

int report(const Context& ctx, const Error& e) {
  if (ctx.json)
    std::cout << protocol::Json{{"error", protocol::errorJson(e)}}.dump() << "\n";
  else
    std::cerr << "ferryctl: " << e.message << " [" << e.code << "]\n";
  return exitCodeFor(e);
}

namespace {

using protocol::Json;

bool stderrIsTty() { return ::isatty(2) != 0; }

// Delegate used by download and wait: records completions, draws progress, reports files.
class CliDelegate : public SessionDelegate {
 public:
  CliDelegate(const Context& ctx, std::optional<std::uint64_t> focus) : ctx_(ctx), focus_(focus) {}

  void didWriteData(Session&, DownloadTask& task, std::int64_t, std::int64_t total, std::int64_t expected) override {
    if (ctx_.json || !stderrIsTty()) return;
    std::lock_guard lock(mutex_);
    auto& bar = bars_[task.identifier()];
    bar.update(static_cast<std::uint64_t>(total),
               expected >= 0 ? std::optional<std::uint64_t>(static_cast<std::uint64_t>(expected)) : std::nullopt);
    std::cerr << "\r\033[K" << bar.render("task " + std::to_string(task.identifier())) << std::flush;
  }

  void didSendBodyData(Session& session, UploadTask& task, std::int64_t, std::int64_t total, std::int64_t expected) override {
    didWriteData(session, task, 0, total, expected);  // the same bar, the other direction
  }

  void didReceiveResponse(Session&, UploadTask& task, long status, const std::vector<std::pair<std::string, std::string>>&) override {
    std::lock_guard lock(mutex_);
    statuses_[task.identifier()] = status;
  }

  void didReceiveData(Session&, UploadTask& task, const std::string& data) override {
    std::lock_guard lock(mutex_);
    bodies_[task.identifier()] += data;
  }

  // `ferryctl upload - URL`: standard input is the body, and it can be read once only.
  void offerStdinOnce() {
    std::lock_guard lock(mutex_);
    stdin_offered_ = true;
  }
  std::unique_ptr<std::istream> needNewBodyStream(Session&, UploadTask& task) override {
    std::lock_guard lock(mutex_);
    if (!std::exchange(stdin_offered_, false)) {
      std::cerr << "ferryctl: task " << task.identifier()
                << " needs its body again (a retry or a redirect), but standard input can be read once only\n";
      return nullptr;
    }
    return std::make_unique<std::ifstream>("/dev/stdin", std::ios::binary);
  }

  void didResumeAtOffset(Session&, DownloadTask& task, std::int64_t offset, std::int64_t) override {
    if (!ctx_.json && stderrIsTty())
      std::cerr << "\r\033[Ktask " << task.identifier() << ": resumed at " << units::humanBytes(offset) << "\n";
  }

  void didFinishDownloadingTo(Session&, DownloadTask& task, const std::filesystem::path& location) override {
    std::lock_guard lock(mutex_);
    locations_[task.identifier()] = location.string();
  }

  void didComplete(Session&, DownloadTask& task, const Completion& c) override {
    std::lock_guard lock(mutex_);
    auto id = task.identifier();
    std::string where = locations_.count(id) ? locations_[id] : "";
    const bool answered = bodies_.count(id) != 0;  // an upload's answer, printed as it came
    if (ctx_.json) {
      Json j{{"task", id}, {"ok", c.ok()}, {"status_code", c.status_code}, {"location", where}};
      if (answered) j["response_body"] = bodies_[id];
      if (c.error) j["error"] = protocol::errorJson(*c.error);
      if (!c.resume_data.empty()) j["resume_data"] = c.resume_data;
      std::cout << j.dump(-1, ' ', false, Json::error_handler_t::replace) << std::endl;
    } else {
      if (stderrIsTty()) std::cerr << "\r\033[K";
      if (c.ok())
        std::cerr << "task " << id << ": done" << (where.empty() ? "" : ", saved to " + where)
                  << (statuses_.count(id) ? " (HTTP " + std::to_string(statuses_[id]) + ")" : "") << "\n";
      else
        std::cerr << "task " << id << ": failed: " << c.error->message << " [" << c.error->code << "]"
                  << (c.status_code ? " (HTTP " + std::to_string(c.status_code) + ")" : "") << "\n";
      if (answered) std::cout << bodies_[id] << std::flush;
    }
    ++completed_;
    if (!c.ok()) ++failed_;
    outcomes_[id] = c.ok();
    if (focus_ && *focus_ == id) {
      focus_done_ = true;
      focus_ok_ = c.ok();
    }
    cv_.notify_all();
  }

  void didFinishEvents(Session&) override {
    std::lock_guard lock(mutex_);
    drained_ = true;
    cv_.notify_all();
  }

  bool waitFocus(std::chrono::milliseconds step) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, step, [this] { return focus_done_; });
  }
  // A task created running may end before its id is known here: its outcome was kept.
  void setFocus(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    focus_ = id;
    auto ended = outcomes_.find(id);
    focus_done_ = ended != outcomes_.end();
    focus_ok_ = focus_done_ && ended->second;
  }
  bool focusOk() {
    std::lock_guard lock(mutex_);
    return focus_ok_;
  }
  int failed() {
    std::lock_guard lock(mutex_);
    return failed_;
  }
  bool drained() {
    std::lock_guard lock(mutex_);
    return drained_;
  }

 private:
  const Context& ctx_;
  std::optional<std::uint64_t> focus_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::uint64_t, ProgressBar> bars_;
  std::map<std::uint64_t, std::string> locations_;
  std::map<std::uint64_t, long> statuses_;         // uploads: the answer's status
  std::map<std::uint64_t, std::string> bodies_;    // uploads: the answer's body
  std::map<std::uint64_t, bool> outcomes_;         // didComplete seen: ok?
  bool stdin_offered_ = false;
  int completed_ = 0;
  int failed_ = 0;
  bool focus_done_ = false;
  bool focus_ok_ = false;
  bool drained_ = false;
};

Result<std::string> readResumeData(const std::string& file) {
  std::stringstream ss;
  if (file == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(errc::invalid_argument, "cannot read resume data from " + file);
    ss << in.rdbuf();
  }
  return ss.str();
}

}  // namespace

Configuration configurationFor(const Context& ctx) {
  auto config = Configuration::background(ctx.session);
  if (!ctx.socket.empty()) config.socketPath(ctx.socket);
  const TransportArgs& t = ctx.transport;
  if (!t.ca_file.empty()) config.caFile(t.ca_file);
  if (!t.cert.empty() || !t.key.empty()) config.clientCertificate(t.cert, t.key);  // a key alone: refused by ferryd
  if (!t.proxy.empty()) config.proxy(t.proxy);
  if (ctx.parallel > 0) config.maxConcurrentTransfers(ctx.parallel).maxConnectionsPerHost(ctx.parallel);
  return config;
}

Result<Request> requestFor(const std::string& url, const std::vector<std::string>& headers) {
  Request request(url);
  for (const auto& h : headers) {
    auto colon = h.find(':');
    if (colon == std::string::npos || colon == 0)
      return fail(errc::invalid_argument, "header \"" + h + "\" must look like \"Name: value\"");
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    request.headers.emplace_back(h.substr(0, colon), value);
  }
  return request;
}

namespace {

// "group 12  ferryctl  photos  running  3/20 files, 12.3 MiB / 40.0 MiB  error: ..."
void printGroup(const GroupInfo& g) {
  std::cout << "group " << g.id << "  " << g.session << "  " << g.name << "  " << g.state << "  "
            << groupProgressText(g.progress);
  if (g.error) std::cout << "  error: " << g.error->message << " [" << g.error->code << "]";
  std::cout << "\n";
}

void printTask(const TaskInfo& t) {
  std::string progress = units::humanBytes(t.bytes_written);
  if (t.expected_total) progress += " / " + units::humanBytes(*t.expected_total);
  std::cout << t.id << "  " << t.session << "  " << t.state;
  if (!t.waiting_for.empty()) std::cout << " (waiting: " << t.waiting_for << ")";
  std::cout << "  " << progress << "  " << t.url;
  if (!t.destination.empty()) std::cout << " -> " << t.destination;
  if (t.group != 0) std::cout << "  (group " << t.group << ")";
  if (t.error) std::cout << "  error: " << t.error->message << " [" << t.error->code << "]";
  std::cout << "\n";
}

}  // namespace

std::string groupProgressText(const GroupProgress& p) {
  std::string text = std::to_string(p.files_done) + "/" + std::to_string(p.files_total) + " files, " +
                     units::humanBytes(p.bytes_written);
  if (p.bytes_expected) text += " / " + units::humanBytes(*p.bytes_expected);
  return text;
}

Result<SchedulingOptions> schedulingFor(const SchedulingArgs& args) {
  SchedulingOptions options;
  options.discretionary = args.discretionary;
  options.allows_expensive_network_access = !args.no_metered;
  options.allows_constrained_network_access = !args.no_metered;
  options.requires_external_power = args.requires_power;
  if (!args.priority.empty()) {
    auto priority = parsePriority(args.priority);
    if (!priority) return tl::unexpected(priority.error());
    options.priority = *priority;
  }
  if (!args.begin_at.empty()) {
    auto at = parseBeginAt(args.begin_at);
    if (!at) return tl::unexpected(at.error());
    options.earliest_begin = std::chrono::system_clock::time_point(std::chrono::seconds(*at));
  }
  return options;
}

// Attaches to the session; when another ferryctl holds the default one, to a session of our own
// rather than failing (ctx.session says which).
Result<std::unique_ptr<Session>> attach(Context& ctx, const std::shared_ptr<SessionDelegate>& delegate, bool detach) {
  auto session = Session::create(configurationFor(ctx), delegate);
  if (!session && session.error().is(errc::already_attached) && !ctx.session_given) {
    ctx.session = "ferryctl-" + std::to_string(::getpid());
    if (!ctx.json && detach)
      std::cerr << "ferryctl: session ferryctl is busy; using session " << ctx.session
                << " (collect with: ferryctl wait --session " << ctx.session << ")\n";
    session = Session::create(configurationFor(ctx), delegate);
  }
  return session;
}

// The task was created running (DownloadOptions/UploadOptions::start): prints its id (--detach)
// or waits for its didComplete.
int runTask(const Context& ctx, CliDelegate& delegate, Task& task, bool detach) {
  delegate.setFocus(task.identifier());
  if (detach) {
    if (ctx.json)
      std::cout << Json{{"task", task.identifier()}, {"session", ctx.session}}.dump() << "\n";
    else
      std::cout << task.identifier() << "\n";
    return kExitOk;
  }
  while (!delegate.waitFocus(std::chrono::milliseconds(500))) {
  }
  return delegate.focusOk() ? kExitOk : kExitTaskFailed;
}

Result<DownloadOptions> downloadOptionsFor(const DownloadArgs& args) {
  DownloadOptions options;
  options.start = true;
  options.description = args.description;
  auto scheduling = schedulingFor(args.scheduling);
  if (!scheduling) return tl::unexpected(scheduling.error());
  options.scheduling = *scheduling;
  if (!args.connections.empty()) {
    auto connections = parseConnections(args.connections);
    if (!connections) return tl::unexpected(connections.error());
    options.connections = *connections;
  }
  auto mirrors = parseMirrors(args.mirrors);
  if (!mirrors) return tl::unexpected(mirrors.error());
  options.mirrors = std::move(*mirrors);
  return options;
}

int download(const Context& given, const DownloadArgs& args) {
  Context ctx = given;
  if (args.in_process && args.detach)
    return report(ctx, Error(errc::invalid_argument, "--in-process downloads run inside ferryctl, which must stay; drop --detach"));
  // A malformed --checksum, --connections or --mirror is a usage error before anything is asked of ferryd.
  if (!args.checksum.empty()) {
    if (auto digest = parseExpectedDigest(args.checksum); !digest)
      return report(ctx, Error(errc::invalid_argument, "--checksum: " + digest.error().message));
  }
  auto shared = downloadOptionsFor(args);
  if (!shared) return report(ctx, shared.error());
  DownloadOptions options = *shared;
  options.expected_digest = args.checksum;
  std::optional<std::string> blob;
  if (!args.resume_data_file.empty()) {
    auto read = readResumeData(args.resume_data_file);
    if (!read) return report(ctx, read.error());
    blob = std::move(*read);
  }
  if (blob && protocol::isGroupResumeData(*blob)) {  // a group's: its files name their destinations
    if (args.in_process || !args.output.empty())
      return report(ctx, Error(errc::invalid_argument,
                               "group resume data names every file's destination and needs ferryd; drop -o and --in-process"));
    blob->erase(blob->find_last_not_of(" \t\r\n") + 1);  // as `ferryctl resume-data` printed it
    return downloadGroupWithResumeData(ctx, args, *blob);
  }
  auto delegate = std::make_shared<CliDelegate>(ctx, std::nullopt);
  auto session = args.in_process ? Session::create(Configuration::defaults(), delegate) : attach(ctx, delegate, args.detach);
  if (!session) return report(ctx, session.error());
  Result<DownloadTask> task = fail(errc::internal, "unreachable");
  if (blob) {
    if (!args.output.empty()) options.destination = args.output;
    task = (*session)->downloadTaskWithResumeData(*blob, options);
  } else {
    auto request = requestFor(args.url, args.headers);
    if (!request) return report(ctx, request.error());
    options.destination = args.output.empty() ? urls::fileNameOf(args.url, "index.html") : args.output;
    task = (*session)->downloadTask(*request, options);
  }
  if (!task) return report(ctx, task.error());
  return runTask(ctx, *delegate, *task, args.detach);
}

// Standard input as a streamed upload: with its length when it is a file, chunked when a pipe.
static Result<UploadTask> uploadStdin(Session& session, CliDelegate& delegate, const Request& request, const UploadOptions& options) {
  struct stat st{};
  std::optional<std::uint64_t> length;
  if (::fstat(0, &st) == 0 && S_ISREG(st.st_mode)) length = static_cast<std::uint64_t>(st.st_size);
  delegate.offerStdinOnce();
  return session.uploadTaskWithStreamedRequest(request, length, options);
}

int upload(const Context& given, const UploadArgs& args) {
  Context ctx = given;
  if (args.file == "-" && args.detach)
    return report(ctx, Error(errc::invalid_argument, "upload - streams standard input, which needs ferryctl to stay; drop --detach"));
  UploadOptions options;
  options.start = true;
  auto scheduling = schedulingFor(args.scheduling);
  if (!scheduling) return report(ctx, scheduling.error());
  options.scheduling = *scheduling;
  options.resumable = args.resumable;
  options.redirects = args.redirects;
  options.description = args.description;
  Result<Request> request = Request();
  std::optional<std::string> blob;
  if (!args.resume_data_file.empty()) {
    auto read = readResumeData(args.resume_data_file);
    if (!read) return report(ctx, read.error());
    blob = *read;
  } else {
    request = requestFor(args.url, args.headers);
    if (!request) return report(ctx, request.error());
    request->method = args.method;
  }
  auto delegate = std::make_shared<CliDelegate>(ctx, std::nullopt);
  auto session = attach(ctx, delegate, args.detach);
  if (!session) return report(ctx, session.error());
  auto task = blob                ? (*session)->uploadTaskWithResumeData(*blob, options)
              : args.file == "-" ? uploadStdin(**session, *delegate, *request, options)
                                 : (*session)->uploadTask(*request, args.file, options);
  if (!task) return report(ctx, task.error());
  return runTask(ctx, *delegate, *task, args.detach);
}

int wait(const Context& ctx) {
  auto delegate = std::make_shared<CliDelegate>(ctx, std::nullopt);
  auto session = Session::create(configurationFor(ctx), delegate);
  if (!session) return report(ctx, session.error());
  // Done when the backlog is delivered and the session has no task on its way and no finished
  // task whose events we have not acknowledged yet (ferryd forgets a task once they all are).
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (!delegate->drained()) continue;
    auto tasks = (*session)->getAllTasks();
    if (!tasks) return report(ctx, tasks.error());
    bool outstanding = false;
    for (const auto& t : *tasks) outstanding |= t.state != "suspended";
    if (!outstanding) break;
  }
  return delegate->failed() > 0 ? kExitTaskFailed : kExitOk;
}

int list(const Context& ctx, bool all_sessions, bool groups_only) {
  auto control = Control::connect(ctx.socket);
  if (!control) return report(ctx, control.error());
  auto listed = (*control)->listing(all_sessions ? std::nullopt : std::optional<std::string>(ctx.session));
  if (!listed) return report(ctx, listed.error());
  const auto& [tasks, groups] = *listed;
  if (ctx.json) {  // an array of tasks (each names its group), or with --groups of groups
    Json out = Json::array();
    if (groups_only)
      for (const auto& g : groups) out.push_back(protocol::groupInfoToJson(g));
    else
      for (const auto& t : tasks) out.push_back(protocol::taskInfoToJson(t));
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& g : groups) printGroup(g);
  if (groups_only) {
    if (groups.empty()) std::cout << "no groups\n";
    return kExitOk;
  }
  if (tasks.empty()) std::cout << "no tasks\n";
  for (const auto& t : tasks) printTask(t);
  return kExitOk;
}

int watch(const Context& ctx) {
  auto control = Control::connect(ctx.socket);
  if (!control) return report(ctx, control.error());
  std::mutex mutex;
  std::map<std::uint64_t, ProgressBar> bars;
  std::map<std::uint64_t, std::string> lines;
  auto redraw = [&] {
    std::cout << "\033[H\033[2J";
    for (const auto& [id, line] : lines) std::cout << line << "\n";
    std::cout << std::flush;
  };
  auto initial = (*control)->list();
  if (!initial) return report(ctx, initial.error());
  for (const auto& t : *initial) {
    bars[t.id].update(t.bytes_written, t.expected_total);
    lines[t.id] = bars[t.id].render("task " + std::to_string(t.id)) + "  " + t.state +
                  (t.waiting_for.empty() ? "" : " (" + t.waiting_for + ")");
  }
  if (!ctx.json) redraw();
  auto watching = (*control)->watch([&](const std::string& text) {
    std::lock_guard lock(mutex);
    if (ctx.json) {
      std::cout << text << std::endl;
      return;
    }
    const Json m = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    auto envelope = protocol::EventEnvelope::decode(m);
    const auto id = envelope ? envelope->task : 0;
    auto& bar = bars[id];
    std::string label = "task " + std::to_string(id);
    auto event = envelope ? protocol::decodeEvent(envelope->event, m) : tl::unexpected(envelope.error());
    if (event)
      std::visit(Overloaded{
                     [&](const protocol::DidWriteData& e) {
                       bar.update(e.total_bytes_written, e.total_bytes_expected_to_write);
                       lines[id] = bar.render(label);
                     },
                     [&](const protocol::TaskStateChanged& e) { lines[id] = bar.render(label) + "  waiting: " + e.waiting_for; },
                     [&](const protocol::DidComplete& e) {
                       lines[id] = bar.render(label) + (e.error ? "  failed: " + e.error->message : "  done");
                     },
                     [](const auto&) {},
                 },
                 *event);
    redraw();
  });
  if (!watching) return report(ctx, watching.error());
  static std::atomic<bool> interrupted{false};
  std::signal(SIGINT, [](int) { interrupted = true; });
  while (!interrupted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return kExitOk;
}

namespace {

// "12:03:04.567"
std::string clockNow() {
  auto now = std::chrono::system_clock::now();
  auto t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  localtime_r(&t, &tm);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buffer;
}

// One event as a line: time, name, task, then its fields (without the envelope).
std::string describeEvent(const Json& m) {
  if (!m.is_object()) return clockNow() + "  ?";  // not an event message (Control sends only objects)
  std::string line = clockNow() + "  " + m.value("event", "?");
  if (auto task = m.value("task", std::uint64_t{0}); task != 0) line += "  task " + std::to_string(task);
  if (m.value("queued", false)) line += "  (queued)";
  for (const auto& [key, value] : m.items()) {
    if (key == "type" || key == "event" || key == "task" || key == "session" || key == "seq" || key == "queued") continue;
    if (value.is_null()) continue;
    line += "  " + key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return line;
}

}  // namespace

int events(const Context& ctx, const std::string& session) {
  if (auto valid = protocol::validateSessionId(session); !valid) return report(ctx, valid.error());
  auto control = Control::connect(ctx.socket, /*start_daemon=*/false);
  if (!control) return report(ctx, control.error());
  std::mutex mutex;
  auto watching = (*control)->watch(
      [&](const std::string& text) {
        std::lock_guard lock(mutex);
        std::cout << (ctx.json ? text : describeEvent(Json::parse(text, nullptr, /*allow_exceptions=*/false))) << std::endl;
      },
      session);
  if (!watching) return report(ctx, watching.error());
  static std::atomic<bool> interrupted{false};
  std::signal(SIGINT, [](int) { interrupted = true; });
  std::signal(SIGTERM, [](int) { interrupted = true; });
  while (!interrupted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return kExitOk;
}

int taskCommand(const Context& ctx, const std::string& verb, std::uint64_t task) {
  auto control = Control::connect(ctx.socket);
  if (!control) return report(ctx, control.error());
  const auto action = verb == "suspend"  ? Control::Action::suspend
                     : verb == "resume" ? Control::Action::resume
                                        : Control::Action::cancel;
  auto acted = (*control)->act(action, task);  // a task's id or a group's
  if (!acted) return report(ctx, acted.error());
  if (acted->group) {
    if (ctx.json)
      std::cout << Json{{"group", protocol::groupInfoToJson(*acted->group)}}.dump() << "\n";
    else
      printGroup(*acted->group);
  } else if (ctx.json) {
    std::cout << protocol::taskInfoToJson(*acted->task).dump() << "\n";
  } else {
    printTask(*acted->task);
  }
  return kExitOk;
}

int resumeData(const Context& ctx, std::uint64_t task) {
  auto control = Control::connect(ctx.socket);
  if (!control) return report(ctx, control.error());
  auto blob = (*control)->cancelByProducingResumeData(task);
  if (!blob) return report(ctx, blob.error());
  std::cout << *blob << "\n";
  return kExitOk;
}

}  // namespace ferry::cli
