// LocalBackend: creation of tasks and the commands on them. Their life in the engine and their
// end: local_engine_events.cpp.

#include "local_backend.hpp"

#include <cstdlib>

#include <unistd.h>

#include "common/files.hpp"
#include "engine/cookie_jar.hpp"
#include "engine/transport_options.hpp"
#include "protocol/scheduling.hpp"
#include "protocol/transport_settings.hpp"
#include "ipc_connection.hpp"

namespace ferry {
namespace {

std::int64_t nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::filesystem::path temporaryRoot() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp && *tmp == '/' ? std::filesystem::path(tmp) : std::filesystem::path("/tmp");
}

// Where an upload's answer, which ends in memory anyway, is written meanwhile (a data task's body
// is kept in memory by the engine): a memory file system ($XDG_RUNTIME_DIR, else /dev/shm).
// Creating and removing a small file per task on a disk file system costs more than the
// transfer (ext4 searches its inode tables for recently deleted inodes on every create: 1.4 ms a
// task, 10x the rest of a 16 KiB data task).
std::filesystem::path memoryRoot() {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  std::error_code ec;
  if (runtime && *runtime == '/' && std::filesystem::is_directory(runtime, ec)) return runtime;
  return "/dev/shm";
}

Result<std::filesystem::path> makeSessionDirectory(const std::filesystem::path& root) {
  std::string pattern = (root / "ferry-session-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    return tl::unexpected(files::errnoError(errno, "create a private directory in " + root.string()));
  return std::filesystem::path(pattern);
}

std::string stateName(LocalState s) {
  switch (s) {
    case LocalState::suspended: return "suspended";
    case LocalState::running: return "running";
    case LocalState::stopping: return "running";
    case LocalState::completed: return "completed";
    case LocalState::failed: return "failed";
    case LocalState::cancelled: return "cancelled";
  }
  return "unknown";
}

// What only ferryd can honour: it watches the machine (network cost, power), this process does
// not. A setting silently ignored would be worse than a clear refusal.
constexpr const char* kMachineNeedsBackground =
    " needs a background session: ferryd watches the network's cost and the power, an in-process session does not";

Result<void> refuseMachineNeeds(const model::Scheduling& s) {
  if (!s.allows_expensive_network) return fail(errc::invalid_argument, std::string("allows_expensive_network_access false") + kMachineNeedsBackground);
  if (!s.allows_constrained_network) return fail(errc::invalid_argument, std::string("allows_constrained_network_access false") + kMachineNeedsBackground);
  if (s.requires_external_power) return fail(errc::invalid_argument, std::string("requires_external_power") + kMachineNeedsBackground);
  return {};
}

// The protocol's own checks (the request, the scheduling fields, the upload's options), so an
// in-process session refuses exactly what ferryd refuses, with the same words.
template <class Request>
Result<Request> checked(const Request& request) {
  auto decoded = Request::decode(request.encode());
  if (decoded)
    if (auto refused = refuseMachineNeeds(decoded->task.scheduling); !refused) return tl::unexpected(refused.error());
  return decoded;
}

}  // namespace

Result<std::unique_ptr<LocalBackend>> LocalBackend::open(const Configuration& configuration, Deliver deliver) {
  // As ferryd refuses them at hello: a proxy that is no proxy URL, or a TLS file that cannot be
  // read, fails the session, not each of its tasks.
  const auto& transport = configuration.sessionConfig().transport;
  if (!configuration.sessionConfig().allows_expensive_network_access)
    return fail(errc::invalid_argument, std::string("allowsExpensiveNetworkAccess(false)") + kMachineNeedsBackground);
  if (!configuration.sessionConfig().allows_constrained_network_access)
    return fail(errc::invalid_argument, std::string("allowsConstrainedNetworkAccess(false)") + kMachineNeedsBackground);
  if (auto valid = protocol::checkTransportSettings(transport); !valid) return tl::unexpected(valid.error());
  if (auto readable = engine::checkTransportFiles(transport, errc::invalid_argument); !readable)
    return tl::unexpected(readable.error());
  auto dir = makeSessionDirectory(temporaryRoot());
  if (!dir) return tl::unexpected(dir.error());
  auto memory_dir = makeSessionDirectory(memoryRoot());  // none there: the disk one serves
  return std::unique_ptr<LocalBackend>(
      new LocalBackend(configuration, std::move(deliver), std::move(*dir), memory_dir ? *memory_dir : *dir));
}

LocalBackend::LocalBackend(const Configuration& configuration, Deliver deliver, std::filesystem::path directory,
                           std::filesystem::path memory_directory)
    : configuration_(configuration),
      deliver_(std::move(deliver)),
      dir_(std::move(directory)),
      memory_dir_(std::move(memory_directory)) {
  const auto& session = configuration_.sessionConfig();
  // A loop turn's engine events go to the event thread at once, and what they make goes to the
  // delegate thread at once: a thread is woken once per turn, not once per event (10,000 data
  // tasks make 70,000 events).
  events_ = std::make_unique<WorkerThread<std::vector<engine::Event>>>([this](std::vector<engine::Event>& turn) {
    std::lock_guard lock(mutex_);
    on_event_thread_ = true;
    for (auto& e : turn) onEngineEvent(e);
    on_event_thread_ = false;
    handOverGathered();
  });
  engine::EngineOptions options;
  if (configuration_.kind() == SessionKind::defaults) options.cookies = std::make_shared<engine::CookieJar>();
  options.max_total_concurrent = std::max(1, session.max_concurrent);
  options.turn_ended = [this] {
    if (!turn_events_.empty()) events_->post(std::exchange(turn_events_, {}));
  };
  engine_ = std::make_unique<engine::Engine>([this](engine::Event e) { turn_events_.push_back(std::move(e)); }, options);
  engine_->setGroupLimits("local", engine::GroupLimits{session.max_concurrent, session.max_per_host});
}

LocalBackend::~LocalBackend() {
  {
    // The event thread may be inside a handler that uses the engine: take it away under the lock.
    std::unique_ptr<engine::Engine> engine;
    {
      std::lock_guard lock(mutex_);
      engine = std::move(engine_);
    }
    engine.reset();  // joins the transfer thread: no event comes after this
  }
  events_.reset();  // handles what was queued (the engine is gone: no new jobs start)
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  std::filesystem::remove_all(memory_dir_, ec);
}

// ---------------------------------------------------------------- creation

Result<TaskInfo> LocalBackend::createDownload(const protocol::CreateDownload& create) {
  return addDownload(create, LocalKind::download);
}

Result<TaskInfo> LocalBackend::createDataTask(const protocol::CreateDownload& create) {
  return addDownload(create, LocalKind::data);
}

Result<TaskInfo> LocalBackend::addDownload(const protocol::CreateDownload& create, LocalKind kind) {
  auto valid = checked(create);
  if (!valid) return tl::unexpected(valid.error());
  LocalTask t;
  {
    std::lock_guard lock(mutex_);
    if (invalidating_) return fail(errc::session_invalidated, "the session was invalidated; create a new Session to add tasks");
    t.id = next_id_++;
  }
  t.kind = kind;
  t.destination = valid->destination;
  t.description = valid->task.description;
  t.scheduling = valid->task.scheduling;
  if (kind != LocalKind::data) t.partial = dir_ / (std::to_string(t.id) + ".partial");
  if (valid->task.resume_data) {
    // Unlocked: it may ask ferryd, and copy a partial file from another file system.
    if (auto adopted = adoptResumeData(t, *valid->task.resume_data); !adopted) return tl::unexpected(adopted.error());
  } else {
    t.request = *valid->request;
  }
  std::lock_guard lock(mutex_);
  if (invalidating_) {  // meanwhile
    std::error_code ec;
    std::filesystem::remove(t.partial, ec);
    return fail(errc::session_invalidated, "the session was invalidated; create a new Session to add tasks");
  }
  return add(std::move(t), valid->task.start);
}

Result<void> LocalBackend::adoptResumeData(LocalTask& t, const std::string& blob) {
  std::string local_blob = blob;
  if (!protocol::LocalResumeStore::isLocalBlob(blob)) {
    if (blob.rfind("ferry-resume-v", 0) != 0)
      return fail(errc::resume_data_invalid, "the resume data is not valid (not Ferry resume data); start the transfer again from its URL");
    auto exported = exportFromDaemon(blob);  // a background session's: ferryd hands its bytes over
    if (!exported) return tl::unexpected(exported.error());
    local_blob = std::move(*exported);
  }
  const auto dir = configuration_.resumeDirectory().empty() ? protocol::LocalResumeStore::defaultDirectory()
                                                            : configuration_.resumeDirectory();
  auto store = protocol::LocalResumeStore::open(dir);
  if (!store) return tl::unexpected(store.error());
  auto taken = store->take(local_blob, t.partial);
  if (!taken) return tl::unexpected(taken.error());
  t.request = std::move(taken->request);
  t.written = taken->offset;
  t.validators = taken->validators;
  t.segments = std::move(taken->segments);
  t.expected_total = taken->expected_total;
  t.report_resume = taken->offset > 0;
  return {};
}

// ferryd keeps a background session's partial file: ask it (as a control client, starting it when
// the configuration allows) to move the file into the user's resume directory.
Result<std::string> LocalBackend::exportFromDaemon(const std::string& blob) {
  if (!configuration_.resumeDirectory().empty() &&
      configuration_.resumeDirectory() != protocol::LocalResumeStore::defaultDirectory())
    return fail(errc::invalid_argument, "resume data from a background session needs the default resume directory (" +
                                            protocol::LocalResumeStore::defaultDirectory().string() +
                                            "), which is where ferryd puts it; drop Configuration::resumeDirectory");
  IpcConnection::Options options;
  options.socket = configuration_.socketPath();
  options.start_daemon = configuration_.startsDaemon();
  options.hello.client = "libferry in-process session pid " + std::to_string(::getpid());
  auto connection = IpcConnection::open(std::move(options));
  if (!connection) return tl::unexpected(connection.error());
  auto r = (*connection)->request(protocol::ExportResumeData{blob}.encode());
  if (!r) return tl::unexpected(r.error());
  return r->value("resume_data", std::string());
}

Result<TaskInfo> LocalBackend::createUpload(const protocol::CreateUpload& create) {
  auto valid = checked(create);
  if (!valid) return tl::unexpected(valid.error());
  if (valid->task.resume_data)
    return fail(errc::invalid_argument,
                "in-process sessions cannot resume uploads from resume data yet; use a background session for resumable uploads");
  std::lock_guard lock(mutex_);
  if (invalidating_) return fail(errc::session_invalidated, "the session was invalidated; create a new Session to add tasks");
  LocalTask t;
  t.id = next_id_++;
  t.kind = LocalKind::upload;
  t.request = *valid->request;
  t.description = valid->task.description;
  t.scheduling = valid->task.scheduling;
  t.redirects = model::redirectPolicyFromName(valid->redirects.value_or("follow")).value_or(model::RedirectPolicy::follow);
  t.resumable = model::resumableModeFromName(valid->resumable.value_or("ietf")).value_or(model::ResumableMode::ietf);
  t.response_body = memory_dir_ / (std::to_string(t.id) + ".answer");
  if (auto body = prepareUploadBody(t, *valid); !body) return tl::unexpected(body.error());
  return add(std::move(t), valid->task.start);
}

Result<void> LocalBackend::prepareUploadBody(LocalTask& t, const protocol::CreateUpload& create) {
  if (create.stream) {
    t.stream = true;
    t.stream_length = create.length;
    t.resumable = model::ResumableMode::none;
    return {};
  }
  if (!create.spool_from.empty()) {
    // The application's bytes: ours now (Session removes its copy when this returns).
    t.body_file = dir_ / (std::to_string(t.id) + ".body");
    t.owns_body_file = true;
    return files::copyDurably(create.spool_from, t.body_file);
  }
  t.body_file = create.file;
  auto identity = files::fileIdentity(t.body_file);  // unreadable or not a file: said now
  if (!identity) return tl::unexpected(identity.error());
  return {};
}

TaskInfo LocalBackend::add(LocalTask t, bool start) {
  t.created_at = nowSeconds();
  const auto id = t.id;
  auto& task = tasks_.emplace(id, std::move(t)).first->second;
  if (start) {
    task.suspend_count = 0;
    startEngine(task);
  }
  return infoOf(task);
}

// ---------------------------------------------------------------- commands

LocalTask* LocalBackend::find(std::uint64_t id) {
  auto it = tasks_.find(id);
  return it == tasks_.end() ? nullptr : &it->second;
}

Result<LocalTask*> LocalBackend::findOpen(std::uint64_t id, std::string_view verb) {
  auto* t = find(id);
  if (t == nullptr) return fail(errc::not_found, "no task " + std::to_string(id) + " in this session");
  if (t->ended())
    return fail(errc::invalid_state, "task " + std::to_string(id) + " is " + stateName(t->state) + "; it cannot be " +
                                         std::string(verb));
  return t;
}

Result<TaskInfo> LocalBackend::command(protocol::TaskVerb verb, std::uint64_t id) {
  std::lock_guard lock(mutex_);
  switch (verb) {
    case protocol::TaskVerb::suspend: {
      auto t = findOpen(id, "suspended");
      if (!t) return tl::unexpected(t.error());
      return suspend(**t);
    }
    case protocol::TaskVerb::resume: {
      auto t = findOpen(id, "resumed");
      if (!t) return tl::unexpected(t.error());
      return resume(**t);
    }
    case protocol::TaskVerb::cancel: {
      auto t = findOpen(id, "cancelled");
      if (!t) return tl::unexpected(t.error());
      return cancel(**t);
    }
    case protocol::TaskVerb::cancel_with_resume_data:
      break;
  }
  return fail(errc::invalid_argument, "use cancelByProducingResumeData");
}

Result<TaskInfo> LocalBackend::suspend(LocalTask& t) {
  if (++t.suspend_count == 1) {
    if (t.state == LocalState::running) stopEngine(t, LocalStop::suspend);
    else if (t.state == LocalState::stopping && t.stop == LocalStop::resume) t.stop = LocalStop::suspend;
  }
  return infoOf(t);
}

Result<TaskInfo> LocalBackend::resume(LocalTask& t) {
  if (t.suspend_count == 0) return infoOf(t);  // as URLSession: resuming a running task does nothing
  if (--t.suspend_count == 0) {
    if (t.state == LocalState::suspended) startEngine(t);
    else if (t.state == LocalState::stopping && t.stop == LocalStop::suspend) t.stop = LocalStop::resume;
  }
  return infoOf(t);
}

Result<TaskInfo> LocalBackend::cancel(LocalTask& t) {
  if (t.state == LocalState::stopping && (t.stop == LocalStop::cancel || t.stop == LocalStop::cancel_with_resume_data))
    return infoOf(t);
  if (t.inEngine()) stopEngine(t, LocalStop::cancel);
  else end(t, LocalState::cancelled, Error(errc::cancelled, "the task was cancelled"));
  return infoOf(t);
}

Result<std::string> LocalBackend::cancelProducingResumeData(std::uint64_t id) {
  std::future<Result<std::string>> answer;
  {
    std::lock_guard lock(mutex_);
    auto found = findOpen(id, "cancelled");
    if (!found) return tl::unexpected(found.error());
    auto& t = **found;
    if (t.kind != LocalKind::download) {
      (void)cancel(t);
      return fail(errc::invalid_state, "task " + std::to_string(id) +
                                           " was cancelled; only download tasks of in-process sessions have resume data");
    }
    if (t.state == LocalState::stopping && t.stop != LocalStop::suspend && t.stop != LocalStop::resume)
      return fail(errc::invalid_state, "task " + std::to_string(id) + " is being cancelled already");
    t.resume_data = std::make_shared<std::promise<Result<std::string>>>();
    answer = t.resume_data->get_future();
    if (t.inEngine()) {
      stopEngine(t, LocalStop::cancel_with_resume_data);
    } else {
      auto blob = keepForResume(t);
      end(t, LocalState::cancelled, Error(errc::cancelled, "the task was cancelled with resume data"), blob);
    }
  }
  return answer.get();  // set by end(), on the event thread when the engine had the task
}

namespace {
Error groupsNeedDaemon() {
  return Error(errc::invalid_state,
               "download groups need a background session (ferryd): use Configuration::background(...) for "
               "Session::downloadGroup; this in-process session has no groups");
}
}  // namespace

Result<GroupInfo> LocalBackend::createGroup(const protocol::CreateGroup&) { return tl::unexpected(groupsNeedDaemon()); }

Result<GroupInfo> LocalBackend::groupCommand(protocol::TaskVerb, std::uint64_t) { return tl::unexpected(groupsNeedDaemon()); }

Result<std::string> LocalBackend::cancelGroupProducingResumeData(std::uint64_t) { return tl::unexpected(groupsNeedDaemon()); }

Result<std::vector<TaskInfo>> LocalBackend::allTasks() {
  std::lock_guard lock(mutex_);
  std::vector<TaskInfo> out;
  for (const auto& [id, t] : tasks_) out.push_back(infoOf(t));
  return out;
}

Result<void> LocalBackend::invalidate(bool cancel_tasks) {
  std::lock_guard lock(mutex_);
  invalidating_ = true;
  if (cancel_tasks)
    for (auto& [id, t] : tasks_)
      if (!t.ended()) (void)cancel(t);
  becomeInvalidIfDone();
  return {};
}

void LocalBackend::decideRedirect(std::uint64_t id, bool follow) {
  std::lock_guard lock(mutex_);
  if (engine_ && find(id) != nullptr) engine_->decideRedirect(id, follow);
}

TaskInfo LocalBackend::infoOf(const LocalTask& t) const {
  TaskInfo info;
  info.id = t.id;
  info.kind = t.kind == LocalKind::upload ? "upload" : (t.kind == LocalKind::data ? "data" : "download");
  info.state = stateName(t.state);
  info.waiting_for = t.waiting_for;
  info.url = t.request.url;
  info.destination = t.destination;
  info.description = t.description;
  info.bytes_written = t.isUpload() ? t.sent : t.written;
  info.expected_total = t.isUpload() ? t.body_length : t.expected_total;
  info.http_status = t.http_status;
  info.error = t.error;
  info.suspend_count = t.suspend_count;
  info.created_at = t.created_at;
  info.priority = t.scheduling.priority;
  info.discretionary = t.scheduling.discretionary;
  info.begin_at = protocol::beginAtSeconds(t.scheduling);
  if (!t.metrics.attempts.empty()) info.metrics = t.metrics;
  return info;
}

void LocalBackend::emit(const LocalTask& t, protocol::Event event) {
  Delivery d;
  d.task = t.id;
  d.event = std::move(event);
  send(std::move(d));
}

void LocalBackend::send(Delivery d) {
  gathered_.push_back(std::move(d));
  if (!on_event_thread_) handOverGathered();
}

void LocalBackend::handOverGathered() {
  if (gathered_.empty()) return;
  deliver_(std::exchange(gathered_, {}));
}

void LocalBackend::delivered(const Delivery& delivery) {
  // A temporary download file is the application's only while didFinishDownloadingTo runs.
  if (const auto* done = std::get_if<protocol::DidFinishDownloadingTo>(&delivery.event); done && done->temporary) {
    std::error_code ec;
    std::filesystem::remove(done->location, ec);
  }
}

}  // namespace ferry
