// LocalBackend: a task's life in the engine (start, stop, the engine's events) and its end (the
// delegate's last events). Runs under LocalBackend's mutex: commands on application threads,
// engine events on the event thread.

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>
#include <utility>

#include "common/files.hpp"
#include "common/overloaded.hpp"
#include "engine/attempt_metrics.hpp"
#include "local_backend.hpp"

namespace ferry {
namespace {

Result<std::string> readWholeFile(const std::filesystem::path& path, std::uint64_t limit) {
  auto size = files::fileSize(path);
  if (!size) return tl::unexpected(size.error());
  if (*size > limit) return fail(errc::too_large, "the answer is larger than the limit");
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return tl::unexpected(files::errnoError(errno, "open " + path.string()));
  std::string out(*size, '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd.get(), out.data() + done, out.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return tl::unexpected(files::errnoError(n < 0 ? errno : EIO, "read " + path.string()));
    done += static_cast<std::size_t>(n);
  }
  return out;
}

Error tooLarge(std::uint64_t limit) {
  return Error(errc::too_large, "the answer is larger than this session's data task limit (" + std::to_string(limit) +
                                    " bytes); use a download task, or raise Configuration::maxDataTaskBytes");
}

void removeQuietly(const std::filesystem::path& path) {
  if (path.empty()) return;
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

}  // namespace

// ---------------------------------------------------------------- into and out of the engine

void LocalBackend::startEngine(LocalTask& t) {
  if (!engine_) return;  // the session is going away
  t.state = LocalState::running;
  t.stop = LocalStop::none;
  t.waiting_for = "queued";
  const auto& session = configuration_.sessionConfig();
  engine::RetryPolicy retry;
  retry.resource_deadline = std::chrono::system_clock::now() + session.resource_timeout;
  if (t.isUpload()) {
    if (t.stream) return askForBodyStream(t);
    return startUploadJob(t);
  }
  engine::DownloadJob job;
  job.id = t.id;
  job.group = "local";
  job.request = t.request;
  job.partial_path = t.partial;
  if (t.validators.empty()) t.written = 0;  // nothing to continue by Range without a validator
  if (t.written == 0) t.segments.clear();
  job.resume_offset = t.written;
  job.validators = t.validators;
  job.segments = t.segments;
  job.retry = retry;
  job.max_bytes_per_second = session.max_bytes_per_second;
  job.scheduling = t.scheduling;
  job.transport = session.transport;
  job.follow_redirects = configuration_.downloadRedirects() != "refuse";
  if (t.kind == LocalKind::data) job.in_memory = engine::MemoryBody{configuration_.maxDataTaskBytes(), std::move(t.body)};
  t.engine_has_job = true;
  engine_->start(std::move(job));
}

void LocalBackend::startUploadJob(LocalTask& t) {
  const auto& session = configuration_.sessionConfig();
  engine::UploadJob job;
  job.id = t.id;
  job.group = "local";
  job.request = t.request;
  if (t.stream) {
    job.body = engine::StreamBody{std::move(t.stream_read_end), t.stream_length};
  } else {
    job.body = engine::FileBody{t.body_file, std::nullopt};
  }
  job.response_body_path = t.response_body;
  job.retry.resource_deadline = std::chrono::system_clock::now() + session.resource_timeout;
  job.max_bytes_per_second = session.max_bytes_per_second;
  job.scheduling = t.scheduling;
  job.redirects = t.redirects;
  job.resumable.mode = t.resumable;
  job.resumable.upload_url = t.upload_url;
  job.resumable.known_offset = t.sent;
  job.transport = session.transport;
  t.engine_has_job = true;
  engine_->start(std::move(job));
}

// A streamed upload's body comes from the delegate (needNewBodyStream) through a pipe; the job
// starts once the pump has opened its end (bodyStreamOpened).
void LocalBackend::askForBodyStream(LocalTask& t) {
  t.fifo = dir_ / (std::to_string(t.id) + ".stream");
  removeQuietly(t.fifo);
  t.stream_ended = false;
  if (::mkfifo(t.fifo.c_str(), 0600) != 0)
    return end(t, LocalState::failed, files::errnoError(errno, "create the body-stream pipe " + t.fifo.string()));
  t.stream_read_end = UniqueFd(::open(t.fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!t.stream_read_end)
    return end(t, LocalState::failed, files::errnoError(errno, "open the body-stream pipe " + t.fifo.string()));
  t.waiting_for = "body-stream";
  emit(t, protocol::NeedNewBodyStream{t.fifo.string(), t.stream_length});
}

Result<void> LocalBackend::bodyStreamOpened(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto* t = find(id);
  if (t == nullptr || t->state != LocalState::running || !t->stream_read_end)
    return fail(errc::invalid_state, "task " + std::to_string(id) + " does not wait for a body stream");
  startUploadJob(*t);
  return {};
}

void LocalBackend::bodyStreamEnded(std::uint64_t id, std::uint64_t) {
  std::lock_guard lock(mutex_);
  if (auto* t = find(id)) t->stream_ended = true;
}

void LocalBackend::stopEngine(LocalTask& t, LocalStop why) {
  t.state = LocalState::stopping;
  t.stop = why;
  if (t.engine_has_job) {
    if (engine_) engine_->stop(t.id);
    return;  // its Finished lands in onStopped
  }
  t.stream_read_end.reset();  // a stream that was asked for and not opened yet
  onStopped(t);
}

// ---------------------------------------------------------------- the engine's events

void LocalBackend::onEngineEvent(engine::Event& event) {
  auto* t = find(engine::taskOf(event));
  if (t == nullptr || !t->engine_has_job) return;
  std::visit(Overloaded{
                 [&](const engine::Waiting& w) {
                   if (t->state == LocalState::running) t->waiting_for = w.reason;
                 },
                 [&](const engine::Responded& r) { onResponded(*t, r); },
                 [&](const engine::Progress& p) { onProgress(*t, p); },
                 [](const engine::Retrying&) {},
                 [&](engine::Finished& f) {
                   t->engine_has_job = false;
                   engine::appendAttempts(t->metrics, f.metrics, engine::kMaxMetricsAttempts);
                   onFinished(*t, f);
                 },
                 [&](const engine::SendProgress& p) {
                   t->sent = p.total_sent;
                   t->body_length = p.total_expected;
                   emit(*t, protocol::DidSendBodyData{p.bytes_sent, p.total_sent, p.total_expected});
                 },
                 [&](const engine::UploadResourceKnown& k) { t->upload_url = k.upload_url; },
                 [&](const engine::UploadRestarted& r) { emit(*t, protocol::DidRestartUpload{r.reason}); },
                 [&](const engine::RedirectProposed& r) {
                   emit(*t, protocol::WillPerformHTTPRedirection{r.status, r.location, r.new_method, r.keeps_body});
                 },
                 [&](const engine::MirrorDropped& m) {
                   // The library has no log of its own; the download goes on from the others.
                   (void)m;
                 },
             },
             event);
}

void LocalBackend::onResponded(LocalTask& t, const engine::Responded& r) {
  if (t.state == LocalState::running) t.waiting_for.clear();
  t.http_status = r.status;
  response_headers_[t.id] = r.headers;
  if (t.isUpload()) return;
  if (std::exchange(t.report_resume, false) && r.offset > 0)
    emit(t, protocol::DidResumeAtOffset{r.offset, r.expected_total});
  t.validators = r.validators;
  t.expected_total = r.expected_total;
  t.written = r.offset;
  if (r.offset == 0) t.segments.clear();
}

void LocalBackend::onProgress(LocalTask& t, const engine::Progress& p) {
  t.written = p.total_written;
  t.segments = p.segments;
  if (p.expected_total) t.expected_total = p.expected_total;
  if (t.kind == LocalKind::data) return;  // the engine keeps it under the limit
  emit(t, protocol::DidWriteData{p.bytes_written, p.total_written, t.expected_total});
}

void LocalBackend::onFinished(LocalTask& t, engine::Finished& f) {
  t.written = f.total_written;
  t.segments = f.segments;
  if (f.memory_body) t.body = std::move(*f.memory_body);
  if (!f.validators.empty()) t.validators = f.validators;
  if (f.expected_total) t.expected_total = f.expected_total;
  if (f.http_status != 0) t.http_status = f.http_status;
  if (t.state == LocalState::stopping) return onStopped(t);
  if (t.isUpload()) return finishUpload(t, f);
  if (f.error && f.error->is(errc::too_large) && t.kind == LocalKind::data)
    return end(t, LocalState::failed, tooLarge(configuration_.maxDataTaskBytes()));
  if (f.error && !f.error->is(errc::http_error)) {
    std::optional<std::string> blob;
    if (f.resumable && t.kind == LocalKind::download) blob = keepForResume(t);
    return end(t, LocalState::failed, f.error, blob);
  }
  t.error = f.error;
  if (t.kind == LocalKind::data) return finishData(t);
  finishDownload(t);
}

void LocalBackend::onStopped(LocalTask& t) {
  switch (t.stop) {
    case LocalStop::cancel:
      return end(t, LocalState::cancelled, Error(errc::cancelled, "the task was cancelled"));
    case LocalStop::cancel_with_resume_data: {
      auto blob = keepForResume(t);
      return end(t, LocalState::cancelled, Error(errc::cancelled, "the task was cancelled with resume data"), blob);
    }
    case LocalStop::resume:
      return startEngine(t);
    case LocalStop::suspend:
    case LocalStop::none:
      t.state = LocalState::suspended;
      t.stop = LocalStop::none;
      t.waiting_for = "suspended";
      return;
  }
}

// ---------------------------------------------------------------- the end

void LocalBackend::finishDownload(LocalTask& t) {
  std::filesystem::path location = t.partial;
  if (!t.destination.empty()) {
    if (auto moved = files::renameDurably(t.partial, t.destination); !moved)
      return end(t, LocalState::failed, moved.error());
    location = t.destination;
  }
  protocol::DidFinishDownloadingTo done;
  done.location = location.string();
  done.temporary = t.destination.empty();
  done.status_code = t.http_status;
  emit(t, std::move(done));
  end(t, t.error ? LocalState::failed : LocalState::completed, t.error);
}

void LocalBackend::finishData(LocalTask& t) {
  emit(t, protocol::DidReceiveResponse{t.http_status, response_headers_[t.id]});
  if (!t.body.empty()) emit(t, protocol::DidReceiveData{std::exchange(t.body, {}), false});
  end(t, t.error ? LocalState::failed : LocalState::completed, t.error);
}

void LocalBackend::finishUpload(LocalTask& t, const engine::Finished& f) {
  if (f.error && f.error->is(errc::needs_new_body_stream) && t.stream) return askForBodyStream(t);
  if (f.upload) t.sent = f.upload->total_sent;
  const bool answered = !f.error || f.error->is(errc::http_error);
  if (answered && f.upload) {
    emit(t, protocol::DidReceiveResponse{t.http_status, response_headers_[t.id]});
    auto body = readWholeFile(f.upload->response_body_path, f.upload->response_body_bytes);
    if (body && !body->empty()) emit(t, protocol::DidReceiveData{std::move(*body), f.upload->response_body_truncated});
  }
  end(t, f.error ? LocalState::failed : LocalState::completed, f.error);
}

void LocalBackend::end(LocalTask& t, LocalState state, std::optional<Error> error, std::optional<std::string> resume_data) {
  t.state = state;
  t.stop = LocalStop::none;
  t.error = error;
  t.waiting_for.clear();
  t.stream_read_end.reset();
  std::string().swap(t.body);  // a data task's bytes not delivered (it failed or was cancelled)
  // The partial file stays only as a finished download's temporary file (didFinishDownloadingTo's).
  if (t.kind != LocalKind::download || !t.destination.empty() || state != LocalState::completed) removeQuietly(t.partial);
  if (t.owns_body_file) removeQuietly(t.body_file);
  removeQuietly(t.response_body);
  removeQuietly(t.fifo);
  response_headers_.erase(t.id);
  if (auto waiter = std::exchange(t.resume_data, nullptr)) {
    if (resume_data) waiter->set_value(*resume_data);
    else waiter->set_value(fail(errc::invalid_state, "task " + std::to_string(t.id) + " was cancelled, but its partial file could not be kept"));
  }
  protocol::DidComplete complete;
  complete.error = std::move(error);
  complete.status_code = t.http_status;
  complete.resume_data = std::move(resume_data);
  if (!t.metrics.attempts.empty()) complete.metrics = t.metrics;
  emit(t, std::move(complete));
  becomeInvalidIfDone();
}

std::optional<std::string> LocalBackend::keepForResume(LocalTask& t) {
  if (t.kind != LocalKind::download) return std::nullopt;
  const auto dir = configuration_.resumeDirectory().empty() ? protocol::LocalResumeStore::defaultDirectory()
                                                            : configuration_.resumeDirectory();
  auto store = protocol::LocalResumeStore::open(dir);
  if (store) {
    UniqueFd touch(::open(t.partial.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));  // never started: no bytes yet
    protocol::LocalResume what;
    what.request = t.request;
    what.offset = t.validators.empty() ? 0 : t.written;
    what.validators = t.validators;
    what.expected_total = t.expected_total;
    if (what.offset > 0) what.segments = t.segments;
    auto blob = store->keep(t.partial, what);
    if (blob) return *blob;
    std::fprintf(stderr, "libferry: task %llu: could not keep resume data: %s\n", static_cast<unsigned long long>(t.id),
                 blob.error().describe().c_str());
    return std::nullopt;
  }
  std::fprintf(stderr, "libferry: could not open the resume directory %s: %s\n", dir.c_str(),
               store.error().describe().c_str());
  return std::nullopt;
}

void LocalBackend::becomeInvalidIfDone() {
  if (!invalidating_ || invalid_sent_) return;
  for (const auto& [id, t] : tasks_)
    if (!t.ended()) return;
  invalid_sent_ = true;
  Delivery d;
  d.event = protocol::DidBecomeInvalid{};
  send(std::move(d));
}

}  // namespace ferry
