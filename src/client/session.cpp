#include "ferry/session.hpp"

#include <unistd.h>

#include "common/base64.hpp"
#include "common/files.hpp"
#include "body_stream_pump.hpp"
#include "ipc_connection.hpp"

namespace ferry {

using protocol::Json;

namespace {
Json requestJson(const Request& r) {
  model::HttpRequest h;
  h.url = r.url;
  h.method = r.method;
  for (const auto& [name, value] : r.headers) h.headers.push_back({name, value});
  h.stall_timeout = r.stall_timeout;
  h.connect_timeout = r.connect_timeout;
  return protocol::requestToJson(h);
}

std::string absoluteDestination(const std::filesystem::path& p) {
  if (p.empty()) return {};
  std::error_code ec;
  auto abs = std::filesystem::absolute(p, ec);
  return (ec ? p : abs).lexically_normal().string();
}

std::int64_t signedField(const Json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_number()) return -1;
  return it->get<std::int64_t>();
}
}  // namespace

// ---------------------------------------------------------------- DownloadTask

Result<TaskInfo> Task::resume() { return session_->taskCommand(protocol::type::resume, id_); }
Result<TaskInfo> Task::suspend() { return session_->taskCommand(protocol::type::suspend, id_); }
Result<TaskInfo> Task::cancel() { return session_->taskCommand(protocol::type::cancel, id_); }

Result<std::string> Task::cancelByProducingResumeData() {
  auto r = session_->call({{"type", protocol::type::cancel_with_resume_data}, {"task", id_}});
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
  options.hello = {{"attach", s->configuration_.identifier()},
                   {"configuration", protocol::sessionConfigToJson(s->configuration_.sessionConfig())},
                   {"client", "libferry pid " + std::to_string(::getpid())}};
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

namespace {
// The scheduling fields of create_download / create_upload (docs/ipc.md), and whether the task is
// created running.
Json withScheduling(Json message, const SchedulingOptions& s, bool start) {
  if (start) message["start"] = true;
  message["priority"] = s.priority;
  if (s.discretionary) message["discretionary"] = true;
  if (s.earliest_begin)
    message["begin_at"] = std::chrono::duration_cast<std::chrono::seconds>(s.earliest_begin->time_since_epoch()).count();
  return message;
}
}  // namespace

Result<Json> Session::call(Json message) {
  if (!connection_) return fail(errc::daemon_unavailable, "the session is not connected");
  return connection_->request(std::move(message));
}

Result<TaskInfo> Session::taskCommand(std::string_view type, std::uint64_t id) {
  auto r = call({{"type", type}, {"task", id}});
  if (!r) return tl::unexpected(r.error());
  return protocol::taskInfoFromJson(r->value("task", Json::object()));
}

Result<DownloadTask> Session::downloadTask(const Request& request, const DownloadOptions& options) {
  if (auto usable = checkUsable(); !usable) return tl::unexpected(usable.error());
  auto r = call(withScheduling({{"type", protocol::type::create_download},
                 {"request", requestJson(request)},
                 {"destination", absoluteDestination(options.destination)},
                 {"description", options.description}},
                                options.scheduling, options.start));
  if (!r) return tl::unexpected(r.error());
  auto info = protocol::taskInfoFromJson(r->value("task", Json::object()));
  if (!info) return tl::unexpected(info.error());
  return DownloadTask(this, info->id);
}

Result<DownloadTask> Session::downloadTaskWithResumeData(const std::string& resume_data, const DownloadOptions& options) {
  if (auto usable = checkUsable(); !usable) return tl::unexpected(usable.error());
  auto r = call(withScheduling({{"type", protocol::type::create_download},
                 {"resume_data", resume_data},
                 {"destination", absoluteDestination(options.destination)},
                 {"description", options.description}},
                                options.scheduling, options.start));
  if (!r) return tl::unexpected(r.error());
  auto info = protocol::taskInfoFromJson(r->value("task", Json::object()));
  if (!info) return tl::unexpected(info.error());
  return DownloadTask(this, info->id);
}

Result<UploadTask> Session::uploadTask(const Request& request, const std::filesystem::path& file,
                                      const UploadOptions& options) {
  return createUpload(request, {{"file", absoluteDestination(file)}}, options);
}

Result<UploadTask> Session::uploadTaskWithData(const Request& request, std::string_view data, const UploadOptions& options) {
  if (auto usable = checkUsable(); !usable) return tl::unexpected(usable.error());
  // The bytes go to ferryd as a private temporary file that it copies (and syncs) before it
  // answers; then ours goes. Nothing of the upload depends on this process after that.
  auto spool = files::writePrivateTemp(data);
  if (!spool) return tl::unexpected(spool.error());
  auto task = createUpload(request, {{"spool_from", spool->string()}}, options);
  std::error_code ec;
  std::filesystem::remove(*spool, ec);
  return task;
}

Result<UploadTask> Session::uploadTaskWithStreamedRequest(const Request& request, std::optional<std::uint64_t> length,
                                                          const UploadOptions& options) {
  Json source{{"stream", true}};
  if (length) source["length"] = *length;
  UploadOptions streamed = options;
  streamed.resumable = "none";
  return createUpload(request, std::move(source), streamed);
}

Result<UploadTask> Session::uploadTaskWithResumeData(const std::string& resume_data, const UploadOptions& options) {
  return submitUpload({{"resume_data", resume_data}}, options);
}

Result<UploadTask> Session::createUpload(const Request& request, Json source, const UploadOptions& options) {
  Request upload = request;
  if (upload.method == "GET") upload.method = "PUT";
  source["request"] = requestJson(upload);
  source["resumable"] = options.resumable;
  return submitUpload(std::move(source), options);
}

// create_upload with what every upload sends; `fields` names the request and body (or resume data).
Result<UploadTask> Session::submitUpload(Json fields, const UploadOptions& options) {
  if (auto usable = checkUsable(); !usable) return tl::unexpected(usable.error());
  Json message{{"type", protocol::type::create_upload}, {"redirects", options.redirects}, {"description", options.description}};
  message.update(fields);
  auto r = call(withScheduling(std::move(message), options.scheduling, options.start));
  if (!r) return tl::unexpected(r.error());
  auto info = protocol::taskInfoFromJson(r->value("task", Json::object()));
  if (!info) return tl::unexpected(info.error());
  return UploadTask(this, info->id);
}

Result<std::vector<TaskInfo>> Session::getAllTasks() {
  auto r = call({{"type", protocol::type::list}});
  if (!r) return tl::unexpected(r.error());
  std::vector<TaskInfo> out;
  for (const auto& t : r->value("tasks", Json::array())) {
    auto info = protocol::taskInfoFromJson(t);
    if (!info) return tl::unexpected(info.error());
    out.push_back(*info);
  }
  return out;
}

Result<void> Session::finishTasksAndInvalidate() { return invalidate(protocol::type::finish_tasks_and_invalidate); }

Result<void> Session::invalidateAndCancel() { return invalidate(protocol::type::invalidate_and_cancel); }

Result<void> Session::invalidate(std::string_view type) {
  auto r = call({{"type", type}});
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

void Session::startBodyStream(UploadTask& task, const Json& message) {
  std::erase_if(pumps_, [](const auto& entry) { return entry.second->finished(); });
  pumps_.erase(task.identifier());  // a stream being sent for an earlier attempt is over
  auto body = delegate_->needNewBodyStream(*this, task);
  if (!body) {
    (void)task.cancel();  // as URLSession: no stream, no upload
    return;
  }
  auto pump = BodyStreamPump::open(message.value("pipe", std::string()));
  if (!pump) return;  // ferryd withdrew the pipe (the task was suspended or cancelled meanwhile)
  auto opened = call({{"type", protocol::type::body_stream_opened}, {"task", task.identifier()}});
  if (!opened) return;
  (*pump)->start(std::move(body), [this, id = task.identifier()](std::uint64_t bytes) {
    (void)call({{"type", protocol::type::body_stream_ended}, {"task", id}, {"bytes", bytes}});
  });
  pumps_[task.identifier()] = std::move(*pump);
}

// ---------------------------------------------------------------- redirects

void Session::decideRedirect(UploadTask& task, const Json& message) {
  const bool follow = delegate_->willPerformHTTPRedirection(*this, task, message.value("statusCode", 0L),
                                                            message.value("location", std::string()));
  // An error means ferryd decided meanwhile (timeout, or the task ended): nothing to do.
  (void)call({{"type", protocol::type::decide_redirect}, {"task", task.identifier()}, {"follow", follow}});
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
  const std::string name = message.value("event", "");
  const auto seq = message.value("seq", std::uint64_t{0});
  if (seq != 0 && delivered_.count(seq) != 0) {
    // A replay after a reconnect of an event handled before: acknowledge again, do not repeat it.
    if (connection_) connection_->post({{"type", protocol::type::ack}, {"seq", seq}});
    return;
  }
  DownloadTask task(this, message.value("task", std::uint64_t{0}));
  current_seq_ = seq;
  if (name == protocol::event::did_write_data) {
    delegate_->didWriteData(*this, task, signedField(message, "bytesWritten"), signedField(message, "totalBytesWritten"),
                            signedField(message, "totalBytesExpectedToWrite"));
  } else if (name == protocol::event::did_resume_at_offset) {
    delegate_->didResumeAtOffset(*this, task, signedField(message, "fileOffset"), signedField(message, "expectedTotalBytes"));
  } else if (name == protocol::event::did_finish_downloading_to) {
    std::filesystem::path location = message.value("location", std::string());
    // Not moved by the application: ferryd removes it once this event's acknowledgement is
    // committed (not here: if ferryd dies first, the event comes again and needs its file).
    delegate_->didFinishDownloadingTo(*this, task, location);
  } else if (name == protocol::event::did_send_body_data) {
    delegate_->didSendBodyData(*this, task, signedField(message, "bytesSent"), signedField(message, "totalBytesSent"),
                               signedField(message, "totalBytesExpectedToSend"));
  } else if (name == protocol::event::did_receive_response) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (auto h = message.find("headers"); h != message.end() && h->is_array())
      for (const auto& pair : *h)
        if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string())
          headers.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
    delegate_->didReceiveResponse(*this, task, message.value("statusCode", 0L), headers);
  } else if (name == protocol::event::did_receive_data) {
    auto data = base64Decode(message.value("data", std::string()));
    delegate_->didReceiveData(*this, task, data ? *data : std::string());
  } else if (name == protocol::event::need_new_body_stream) {
    startBodyStream(task, message);
  } else if (name == protocol::event::will_perform_http_redirection) {
    decideRedirect(task, message);
  } else if (name == protocol::event::did_become_invalid) {
    std::optional<Error> error;
    if (auto e = message.find("error"); e != message.end() && e->is_object()) error = protocol::errorFromJson(*e);
    {
      std::lock_guard lock(mutex_);
      invalidated_ = true;
    }
    delegate_->didBecomeInvalid(*this, error);
  } else if (name == protocol::event::did_complete) {
    Completion completion;
    if (auto e = message.find("error"); e != message.end() && e->is_object()) completion.error = protocol::errorFromJson(*e);
    completion.status_code = message.value("statusCode", 0L);
    completion.resume_data = message.value("resumeData", std::string());
    delegate_->didComplete(*this, task, completion);
  }
  current_seq_ = 0;
  if (seq != 0) {
    delivered_.insert(seq);
    if (connection_) connection_->post({{"type", protocol::type::ack}, {"seq", seq}});
  }
}

}  // namespace ferry
