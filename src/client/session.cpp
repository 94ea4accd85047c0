#include "ferry/session.hpp"

#include <unistd.h>

#include "common/files.hpp"
#include "common/overloaded.hpp"
#include "body_stream_pump.hpp"
#include "ipc_connection.hpp"

namespace ferry {

using protocol::Json;

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

std::string absoluteDestination(const std::filesystem::path& p) {
  if (p.empty()) return {};
  std::error_code ec;
  auto abs = std::filesystem::absolute(p, ec);
  return (ec ? p : abs).lexically_normal().string();
}

// The delegate's sizes: -1 when unknown.
std::int64_t sizeOrMinusOne(std::optional<std::uint64_t> size) { return size ? static_cast<std::int64_t>(*size) : -1; }
std::int64_t signedSize(std::uint64_t size) { return static_cast<std::int64_t>(size); }

// The fields create_download and create_upload share, from the application's options.
template <class Options>
protocol::NewTaskOptions newTaskOptions(const Options& options) {
  protocol::NewTaskOptions o;
  o.description = options.description;
  o.start = options.start;
  o.scheduling.priority = options.scheduling.priority;
  o.scheduling.discretionary = options.scheduling.discretionary;
  o.scheduling.begin_at = options.scheduling.earliest_begin;
  return o;
}
}  // namespace

// ---------------------------------------------------------------- DownloadTask

Result<TaskInfo> Task::resume() { return session_->taskCommand(protocol::TaskVerb::resume, id_); }
Result<TaskInfo> Task::suspend() { return session_->taskCommand(protocol::TaskVerb::suspend, id_); }
Result<TaskInfo> Task::cancel() { return session_->taskCommand(protocol::TaskVerb::cancel, id_); }

Result<std::string> Task::cancelByProducingResumeData() {
  auto r = session_->call(protocol::TaskCommand{protocol::TaskVerb::cancel_with_resume_data, id_}.encode());
  if (!r) return tl::unexpected(r.error());
  return r->value("resume_data", std::string());
}

// ---------------------------------------------------------------- Session

Session::Session(Configuration configuration, std::shared_ptr<SessionDelegate> delegate)
    : configuration_(std::move(configuration)), delegate_(std::move(delegate)) {}

Result<std::unique_ptr<Session>> Session::create(Configuration configuration, std::shared_ptr<SessionDelegate> delegate) {
  if (auto valid = protocol::validateSessionId(configuration.identifier()); !valid) return tl::unexpected(valid.error());
  if (!delegate) delegate = std::make_shared<SessionDelegate>();
  std::unique_ptr<Session> s(new Session(std::move(configuration), std::move(delegate)));
  IpcConnection::Options options;
  options.socket = s->configuration_.socketPath();
  options.start_daemon = s->configuration_.startsDaemon();
  options.reconnect = true;
  options.hello = protocol::Hello{s->configuration_.identifier(), s->configuration_.sessionConfig(),
                                  "libferry pid " + std::to_string(::getpid())};
  options.on_event = [raw = s.get()](const Json& m) { raw->onEvent(m); };
  // The delegate thread exists before the first event can arrive.
  s->delegate_thread_ = std::thread([raw = s.get()] { raw->deliverLoop(); });
  auto connection = IpcConnection::open(std::move(options));
  if (!connection) return tl::unexpected(connection.error());  // ~Session joins the thread
  s->connection_ = std::move(*connection);
  return s;
}

Session::~Session() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (delegate_thread_.joinable()) delegate_thread_.join();
  pumps_.clear();  // stops streams still being sent: ferryd asks the next attach for new ones
  connection_.reset();  // detaches; tasks go on in ferryd
}

Result<Json> Session::call(Json message) {
  if (!connection_) return fail(errc::daemon_unavailable, "the session is not connected");
  return connection_->request(std::move(message));
}

Result<TaskInfo> Session::taskCommand(protocol::TaskVerb verb, std::uint64_t id) {
  auto r = call(protocol::TaskCommand{verb, id}.encode());
  if (!r) return tl::unexpected(r.error());
  return protocol::taskInfoFromJson(r->value("task", Json::object()));
}

Result<DownloadTask> Session::downloadTask(const Request& request, const DownloadOptions& options) {
  protocol::CreateDownload create;
  create.request = httpRequestOf(request);
  create.destination = absoluteDestination(options.destination);
  create.task = newTaskOptions(options);
  return submitDownload(std::move(create));
}

Result<DownloadTask> Session::downloadTaskWithResumeData(const std::string& resume_data, const DownloadOptions& options) {
  protocol::CreateDownload create;
  create.destination = absoluteDestination(options.destination);
  create.task = newTaskOptions(options);
  create.task.resume_data = resume_data;
  return submitDownload(std::move(create));
}

Result<DownloadTask> Session::submitDownload(const protocol::CreateDownload& create) {
  if (auto usable = checkUsable(); !usable) return tl::unexpected(usable.error());
  auto r = call(create.encode());
  if (!r) return tl::unexpected(r.error());
  auto info = protocol::taskInfoFromJson(r->value("task", Json::object()));
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
  // The bytes go to ferryd as a private temporary file that it copies (and syncs) before it
  // answers; then ours goes. Nothing of the upload depends on this process after that.
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
  auto r = call(upload.encode());
  if (!r) return tl::unexpected(r.error());
  auto info = protocol::taskInfoFromJson(r->value("task", Json::object()));
  if (!info) return tl::unexpected(info.error());
  return UploadTask(this, info->id);
}

Result<std::vector<TaskInfo>> Session::getAllTasks() {
  auto r = call(protocol::List{}.encode());
  if (!r) return tl::unexpected(r.error());
  std::vector<TaskInfo> out;
  for (const auto& t : r->value("tasks", Json::array())) {
    auto info = protocol::taskInfoFromJson(t);
    if (!info) return tl::unexpected(info.error());
    out.push_back(*info);
  }
  return out;
}

Result<void> Session::finishTasksAndInvalidate() { return invalidate(protocol::Invalidate{false}); }

Result<void> Session::invalidateAndCancel() { return invalidate(protocol::Invalidate{true}); }

Result<void> Session::invalidate(const protocol::Invalidate& request) {
  auto r = call(request.encode());
  if (!r) return tl::unexpected(r.error());
  std::lock_guard lock(mutex_);
  invalidated_ = true;
  return {};
}

Result<void> Session::checkUsable() {
  std::lock_guard lock(mutex_);
  if (!invalidated_) return {};
  return fail(errc::session_invalidated, "session " + configuration_.identifier() +
                                             " was invalidated; create a new Session to add tasks");
}

bool Session::waitForEventsDrained(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return drained_cv_.wait_for(lock, timeout, [this] { return drained_; });
}

// ---------------------------------------------------------------- streamed uploads

void Session::startBodyStream(UploadTask& task, const protocol::NeedNewBodyStream& event) {
  std::erase_if(pumps_, [](const auto& entry) { return entry.second->finished(); });
  pumps_.erase(task.identifier());  // a stream being sent for an earlier attempt is over
  auto body = delegate_->needNewBodyStream(*this, task);
  if (!body) {
    (void)task.cancel();  // as URLSession: no stream, no upload
    return;
  }
  auto pump = BodyStreamPump::open(event.pipe);
  if (!pump) return;  // ferryd withdrew the pipe (the task was suspended or cancelled meanwhile)
  auto opened = call(protocol::BodyStreamOpened{task.identifier()}.encode());
  if (!opened) return;
  (*pump)->start(std::move(body), [this, id = task.identifier()](std::uint64_t bytes) {
    (void)call(protocol::BodyStreamEnded{id, bytes}.encode());
  });
  pumps_[task.identifier()] = std::move(*pump);
}

// ---------------------------------------------------------------- redirects

void Session::decideRedirect(UploadTask& task, const protocol::WillPerformHTTPRedirection& event) {
  const bool follow = delegate_->willPerformHTTPRedirection(*this, task, event.status_code, event.location);
  // An error means ferryd decided meanwhile (timeout, or the task ended): nothing to do.
  (void)call(protocol::DecideRedirect{task.identifier(), follow}.encode());
}

// ---------------------------------------------------------------- events

void Session::onEvent(const Json& message) {
  {
    std::lock_guard lock(mutex_);
    inbox_.push_back(message);
  }
  wake_.notify_one();
}

void Session::deliverLoop() {
  for (;;) {
    Json message;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !inbox_.empty(); });
      if (inbox_.empty()) return;  // stopping and nothing left
      if (stopping_) return;       // the application is going: undelivered events stay in ferryd
      message = std::move(inbox_.front());
      inbox_.pop_front();
    }
    deliver(message);
  }
}

void Session::deliver(const Json& message) {
  const std::string type = message.value("type", "");
  if (type == protocol::type::events_drained) {
    delegate_->didFinishEvents(*this);
    std::lock_guard lock(mutex_);
    drained_ = true;
    drained_cv_.notify_all();
    return;
  }
  if (type != protocol::type::event) return;
  auto envelope = protocol::EventEnvelope::decode(message);
  if (!envelope) return;  // not an event this libferry can read (nor acknowledge)
  const auto seq = envelope->seq;
  if (seq != 0 && delivered_.count(seq) != 0) {
    // A replay after a reconnect of an event handled before: acknowledge again, do not repeat it.
    if (connection_) connection_->post(protocol::Ack{seq}.encode());
    return;
  }
  DownloadTask task(this, envelope->task);
  current_seq_ = seq;
  // An unknown or malformed event is not delivered, but acknowledged: it would come again forever.
  if (auto event = protocol::decodeEvent(envelope->event, message)) deliverEvent(task, *event);
  current_seq_ = 0;
  if (seq != 0) {
    delivered_.insert(seq);
    if (connection_) connection_->post(protocol::Ack{seq}.encode());
  }
}

void Session::deliverEvent(Task& task, const protocol::Event& event) {
  using namespace protocol;
  std::visit(
      Overloaded{
          [&](const DidWriteData& e) {
            delegate_->didWriteData(*this, task, signedSize(e.bytes_written), signedSize(e.total_bytes_written),
                                    sizeOrMinusOne(e.total_bytes_expected_to_write));
          },
          [&](const DidResumeAtOffset& e) {
            delegate_->didResumeAtOffset(*this, task, signedSize(e.file_offset), sizeOrMinusOne(e.expected_total_bytes));
          },
          // Not moved by the application: ferryd removes it once this event's acknowledgement is
          // committed (not here: if ferryd dies first, the event comes again and needs its file).
          [&](const DidFinishDownloadingTo& e) { delegate_->didFinishDownloadingTo(*this, task, e.location); },
          [&](const DidSendBodyData& e) {
            delegate_->didSendBodyData(*this, task, signedSize(e.bytes_sent), signedSize(e.total_bytes_sent),
                                       sizeOrMinusOne(e.total_bytes_expected_to_send));
          },
          [&](const DidReceiveResponse& e) {
            std::vector<std::pair<std::string, std::string>> headers;
            for (const auto& h : e.headers) headers.emplace_back(h.name, h.value);
            delegate_->didReceiveResponse(*this, task, e.status_code, headers);
          },
          [&](const DidReceiveData& e) { delegate_->didReceiveData(*this, task, e.data); },
          [&](const NeedNewBodyStream& e) { startBodyStream(task, e); },
          [&](const WillPerformHTTPRedirection& e) { decideRedirect(task, e); },
          [&](const DidBecomeInvalid& e) {
            {
              std::lock_guard lock(mutex_);
              invalidated_ = true;
            }
            delegate_->didBecomeInvalid(*this, e.error);
          },
          [&](const DidComplete& e) {
            Completion completion;
            completion.error = e.error;
            completion.status_code = e.status_code;
            completion.resume_data = e.resume_data.value_or(std::string());
            if (e.metrics) delegate_->didFinishCollectingMetrics(*this, task, *e.metrics);
            delegate_->didComplete(*this, task, completion);
          },
          [](const DidRestartUpload&) {},  // watchers' only (ferryctl events)
          [](const TaskStateChanged&) {},
      },
      event);
}

}  // namespace ferry
