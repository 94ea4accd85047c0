// Session: the application's calls, turned into protocol requests for its backend (ferryd or
// this process). Events back to the delegate: session_delivery.cpp; convenience calls:
// session_convenience.cpp.

#include "ferry/session.hpp"

#include "common/digest.hpp"
#include "common/files.hpp"
#include "model/upload_options.hpp"
#include "body_stream_pump.hpp"
#include "download_checks.hpp"
#include "daemon_backend.hpp"
#include "local_backend.hpp"

namespace ferry {

namespace {
model::HttpRequest httpRequestOf(const Request& r) {
  model::HttpRequest h;
  h.url = r.url;
  h.method = r.method;
  for (const auto& [name, value] : r.headers) h.headers.push_back({name, value});
  h.stall_timeout = r.stall_timeout;
  h.connect_timeout = r.connect_timeout;
  return h;
}

// A download's request: the options' expected digest, connections and mirrors checked here
// (invalid-argument before any round trip), the digest sent in its one spelling.
Result<model::HttpRequest> downloadRequestOf(const Request& r, const DownloadOptions& options) {
  model::HttpRequest h = httpRequestOf(r);
  if (!options.expected_digest.empty()) {
    auto digest = parseExpectedDigest(options.expected_digest);
    if (!digest) return tl::unexpected(digest.error());
    h.expected_digest = digest->text();
  }
  if (auto valid = checkConnections(options.connections); !valid) return tl::unexpected(valid.error());
  h.connections = options.connections;
  if (auto valid = checkMirrors(options.mirrors); !valid) return tl::unexpected(valid.error());
  h.mirrors = options.mirrors;
  return h;
}

std::string absoluteDestination(const std::filesystem::path& p) {
  if (p.empty()) return {};
  std::error_code ec;
  auto abs = std::filesystem::absolute(p, ec);
  return (ec ? p : abs).lexically_normal().string();
}

// The scheduling fields every new task (or group) carries, from the application's options.
model::Scheduling schedulingOf(const SchedulingOptions& options) {
  model::Scheduling s;
  s.priority = options.priority;
  s.discretionary = options.discretionary;
  s.begin_at = options.earliest_begin;
  s.allows_expensive_network = options.allows_expensive_network_access;
  s.allows_constrained_network = options.allows_constrained_network_access;
  s.requires_external_power = options.requires_external_power;
  return s;
}

// The fields create_download and create_upload share, from the application's options.
template <class Options>
protocol::NewTaskOptions newTaskOptions(const Options& options) {
  protocol::NewTaskOptions o;
  o.description = options.description;
  o.start = options.start;
  o.scheduling = schedulingOf(options.scheduling);
  return o;
}
}  // namespace

// ---------------------------------------------------------------- Task

Result<TaskInfo> Task::resume() { return session_->taskCommand(protocol::TaskVerb::resume, id_); }
Result<TaskInfo> Task::suspend() { return session_->taskCommand(protocol::TaskVerb::suspend, id_); }
Result<TaskInfo> Task::cancel() { return session_->taskCommand(protocol::TaskVerb::cancel, id_); }

Result<std::string> Task::cancelByProducingResumeData() { return session_->backend_->cancelProducingResumeData(id_); }

// ---------------------------------------------------------------- Session

Session::Session(Configuration configuration, std::shared_ptr<SessionDelegate> delegate)
    : configuration_(std::move(configuration)), delegate_(std::move(delegate)) {}

Result<std::unique_ptr<Session>> Session::create(Configuration configuration, std::shared_ptr<SessionDelegate> delegate) {
  if (configuration.isBackground())
    if (auto valid = protocol::validateSessionId(configuration.identifier()); !valid) return tl::unexpected(valid.error());
  if (!delegate) delegate = std::make_shared<SessionDelegate>();
  std::unique_ptr<Session> s(new Session(std::move(configuration), std::move(delegate)));
  // The delegate thread exists before the first event can arrive.
  s->delegate_thread_ = std::thread([raw = s.get()] { raw->deliverLoop(); });
  if (auto opened = s->openBackend(); !opened) return tl::unexpected(opened.error());  // ~Session joins the thread
  {
    std::lock_guard lock(s->mutex_);
    s->backend_ready_ = true;
  }
  s->wake_.notify_all();
  return s;
}

Result<void> Session::openBackend() {
  auto deliver = [this](Deliveries d) { enqueue(std::move(d)); };
  const auto& redirects = configuration_.downloadRedirects();
  // The uploads' policy names; a download cannot wait for an answer ("ask"), so it has two.
  const auto policy = model::redirectPolicyFromName(redirects);
  if (!policy || *policy == model::RedirectPolicy::ask)
    return fail(errc::invalid_argument, "downloadRedirects \"" + redirects + "\" is not a policy; use \"follow\" or \"refuse\"");
  if (configuration_.isBackground() && *policy != model::RedirectPolicy::follow)
    return fail(errc::invalid_argument,
                "a background session's downloads always follow redirects (ferryd has no such setting); use "
                "downloadRedirects(\"refuse\") with Configuration::defaults() or ephemeral()");
  if (configuration_.isBackground()) {
    auto backend = DaemonBackend::attach(configuration_, std::move(deliver));
    if (!backend) return tl::unexpected(backend.error());
    backend_ = std::move(*backend);
  } else {
    auto backend = LocalBackend::open(configuration_, std::move(deliver));
    if (!backend) return tl::unexpected(backend.error());
    backend_ = std::move(*backend);
  }
  return {};
}

Session::~Session() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (delegate_thread_.joinable()) delegate_thread_.join();
  pumps_.clear();    // stops streams still being sent: ferryd asks the next attach for new ones
  backend_.reset();  // background: detaches, tasks go on in ferryd; in-process: they stop
}

Result<TaskInfo> Session::taskCommand(protocol::TaskVerb verb, std::uint64_t id) { return backend_->command(verb, id); }

Result<DownloadTask> Session::downloadTask(const Request& request, const DownloadOptions& options) {
  auto http = downloadRequestOf(request, options);
  if (!http) return tl::unexpected(http.error());
  protocol::CreateDownload create;
  create.request = std::move(*http);
  create.destination = absoluteDestination(options.destination);
  create.task = newTaskOptions(options);
  return submitDownload(create);
}

Result<DataTask> Session::dataTask(const Request& request) {
  protocol::CreateDownload create;
  create.request = httpRequestOf(request);
  return submitDownload(create, true);
}

std::vector<Result<DownloadTask>> Session::downloadTasks(std::span<const DownloadRequest> requests) {
  std::vector<Result<DownloadTask>> out;
  out.reserve(requests.size());
  if (auto usable = checkUsable(); !usable) {
    for (std::size_t i = 0; i < requests.size(); ++i) out.push_back(tl::unexpected(usable.error()));
    return out;
  }
  // An entry the client refuses (its digest, connections or mirrors) gets its error here and is not sent;
  // the others go in one round trip and their answers fill the remaining places, in order.
  std::vector<protocol::CreateDownload> creates;
  creates.reserve(requests.size());
  out.resize(requests.size(), tl::unexpected(Error(errc::internal, "not sent")));
  std::vector<std::size_t> sent;  // the index in `requests` of each of `creates`
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    auto http = downloadRequestOf(r.request, r.options);
    if (!http) {
      out[i] = tl::unexpected(http.error());
      continue;
    }
    protocol::CreateDownload create;
    create.request = std::move(*http);
    create.destination = absoluteDestination(r.options.destination);
    create.task = newTaskOptions(r.options);
    creates.push_back(std::move(create));
    sent.push_back(i);
  }
  if (creates.empty()) return out;
  auto ids = backend_->createDownloads(creates);
  for (std::size_t k = 0; k < ids.size() && k < sent.size(); ++k)
    out[sent[k]] = ids[k] ? Result<DownloadTask>(DownloadTask(this, *ids[k])) : tl::unexpected(ids[k].error());
  return out;
}

Result<DownloadTask> Session::downloadTaskWithResumeData(const std::string& resume_data, const DownloadOptions& options) {
  protocol::CreateDownload create;
  create.destination = absoluteDestination(options.destination);
  create.task = newTaskOptions(options);
  create.task.resume_data = resume_data;
  return submitDownload(create);
}

Result<DownloadTask> Session::submitDownload(const protocol::CreateDownload& create, bool data) {
  if (auto usable = checkUsable(); !usable) return tl::unexpected(usable.error());
  auto info = data ? backend_->createDataTask(create) : backend_->createDownload(create);
  if (!info) return tl::unexpected(info.error());
  return DownloadTask(this, info->id);
}

Result<UploadTask> Session::uploadTask(const Request& request, const std::filesystem::path& file,
                                      const UploadOptions& options) {
  protocol::CreateUpload upload;
  upload.file = absoluteDestination(file);
  return createUpload(request, std::move(upload), options);
}

Result<UploadTask> Session::uploadTaskWithData(const Request& request, std::string_view data, const UploadOptions& options) {
  if (auto usable = checkUsable(); !usable) return tl::unexpected(usable.error());
  // The bytes go to the backend as a private temporary file that it copies before it answers;
  // then ours goes. Nothing of the upload depends on this copy after that.
  auto spool = files::writePrivateTemp(data);
  if (!spool) return tl::unexpected(spool.error());
  protocol::CreateUpload upload;
  upload.spool_from = spool->string();
  auto task = createUpload(request, std::move(upload), options);
  std::error_code ec;
  std::filesystem::remove(*spool, ec);
  return task;
}

Result<UploadTask> Session::uploadTaskWithStreamedRequest(const Request& request, std::optional<std::uint64_t> length,
                                                          const UploadOptions& options) {
  protocol::CreateUpload upload;
  upload.stream = true;
  upload.length = length;
  UploadOptions streamed = options;
  streamed.resumable = "none";
  return createUpload(request, std::move(upload), streamed);
}

Result<UploadTask> Session::uploadTaskWithResumeData(const std::string& resume_data, const UploadOptions& options) {
  protocol::CreateUpload upload;
  upload.task.resume_data = resume_data;
  return submitUpload(std::move(upload), options);
}

Result<UploadTask> Session::createUpload(const Request& request, protocol::CreateUpload upload, const UploadOptions& options) {
  upload.request = httpRequestOf(request);
  if (upload.request->method == "GET") upload.request->method = "PUT";
  upload.resumable = options.resumable;
  return submitUpload(std::move(upload), options);
}

// create_upload with what every upload sends; `upload` names the request and body (or resume data).
Result<UploadTask> Session::submitUpload(protocol::CreateUpload upload, const UploadOptions& options) {
  if (auto usable = checkUsable(); !usable) return tl::unexpected(usable.error());
  upload.redirects = options.redirects;
  auto resume_data = std::move(upload.task.resume_data);
  upload.task = newTaskOptions(options);
  upload.task.resume_data = std::move(resume_data);
  auto info = backend_->createUpload(upload);
  if (!info) return tl::unexpected(info.error());
  return UploadTask(this, info->id);
}

// ---------------------------------------------------------------- download groups

Result<GroupInfo> Session::downloadGroup(std::string name, std::vector<GroupFile> files, GroupOptions options) {
  protocol::CreateGroup create;
  create.name = std::move(name);
  create.tasks.reserve(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto& file = files[i];
    DownloadOptions checked;
    checked.expected_digest = file.expected_digest;
    checked.connections = file.connections;
    checked.mirrors = std::move(file.mirrors);
    auto http = downloadRequestOf(file.request, checked);
    if (!http) return fail(http.error().code, "tasks[" + std::to_string(i) + "]: " + http.error().message);
    create.tasks.push_back({std::move(*http), absoluteDestination(file.destination), std::nullopt});
  }
  return submitGroup(create, options);
}

Result<GroupInfo> Session::downloadGroupWithResumeData(const std::string& resume_data, GroupOptions options) {
  protocol::CreateGroup create;
  create.resume_data = resume_data;
  return submitGroup(create, options);
}

Result<GroupInfo> Session::submitGroup(protocol::CreateGroup& create, const GroupOptions& options) {
  if (auto usable = checkUsable(); !usable) return tl::unexpected(usable.error());
  create.description = options.description;
  create.start = options.start;
  create.scheduling = schedulingOf(options.scheduling);
  return backend_->createGroup(create);
}

Result<std::vector<GroupInfo>> Session::getAllGroups() { return backend_->allGroups(); }
Result<GroupInfo> Session::suspendGroup(std::uint64_t id) { return backend_->groupCommand(protocol::TaskVerb::suspend, id); }
Result<GroupInfo> Session::resumeGroup(std::uint64_t id) { return backend_->groupCommand(protocol::TaskVerb::resume, id); }
Result<GroupInfo> Session::cancelGroup(std::uint64_t id) { return backend_->groupCommand(protocol::TaskVerb::cancel, id); }
Result<std::string> Session::cancelGroupByProducingResumeData(std::uint64_t id) {
  return backend_->cancelGroupProducingResumeData(id);
}

Result<std::vector<TaskInfo>> Session::getAllTasks() { return backend_->allTasks(); }

Result<void> Session::finishTasksAndInvalidate() { return invalidate(false); }

Result<void> Session::invalidateAndCancel() { return invalidate(true); }

Result<void> Session::invalidate(bool cancel) {
  auto r = backend_->invalidate(cancel);
  if (!r) return r;
  std::lock_guard lock(mutex_);
  invalidated_ = true;
  return {};
}

Result<void> Session::checkUsable() {
  std::lock_guard lock(mutex_);
  if (!invalidated_) return {};
  const std::string name = configuration_.isBackground() ? "session " + configuration_.identifier() : "this session";
  return fail(errc::session_invalidated, name + " was invalidated; create a new Session to add tasks");
}

bool Session::waitForEventsDrained(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return drained_cv_.wait_for(lock, timeout, [this] { return drained_; });
}

// ---------------------------------------------------------------- streamed uploads and redirects

void Session::startBodyStream(UploadTask& task, const protocol::NeedNewBodyStream& event) {
  std::erase_if(pumps_, [](const auto& entry) { return entry.second->finished(); });
  pumps_.erase(task.identifier());  // a stream being sent for an earlier attempt is over
  auto body = delegate_->needNewBodyStream(*this, task);
  if (!body) {
    (void)task.cancel();  // as URLSession: no stream, no upload
    return;
  }
  auto pump = BodyStreamPump::open(event.pipe);
  if (!pump) return;  // the backend withdrew the pipe (the task was suspended or cancelled meanwhile)
  if (!backend_->bodyStreamOpened(task.identifier())) return;
  (*pump)->start(std::move(body), [this, id = task.identifier()](std::uint64_t bytes) {
    backend_->bodyStreamEnded(id, bytes);
  });
  pumps_[task.identifier()] = std::move(*pump);
}

void Session::decideRedirect(UploadTask& task, const protocol::WillPerformHTTPRedirection& event) {
  const bool follow = delegate_->willPerformHTTPRedirection(*this, task, event.status_code, event.location);
  backend_->decideRedirect(task.identifier(), follow);
}

}  // namespace ferry
