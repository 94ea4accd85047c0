// TaskManager's upload half: creating upload tasks, starting their engine jobs, and turning the
// engine's upload events into durable state and delegate events. The lifecycle shared with
// downloads (suspend, resume, cancel, ends, acknowledgements, invalidation) is in the other
// task_*.cpp files (task_manager.hpp lists them).
//
// An upload's durable state is small: the body (the application's file, or our spool copy of
// bytes it handed over), the file's identity when the task was made, and — for resumable
// uploads — the upload resource URL, stored the moment the server names it. After a crash the
// engine asks the server for its offset (HEAD) and appends from there; the server, not ferryd,
// is the authority on how many bytes arrived.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "common/base64.hpp"
#include "common/files.hpp"
#include "common/unique_fd.hpp"
#include "daemon/task_ending.hpp"
#include "engine/url_check.hpp"

namespace ferry::daemon {
namespace {

Result<void> checkReadableFile(const std::filesystem::path& path, std::string_view what) {
  if (!path.is_absolute())
    return fail(errc::invalid_argument, std::string(what) + " " + path.string() + " must be an absolute path");
  auto identity = files::fileIdentity(path);
  if (!identity) return tl::unexpected(identity.error());
  if (::access(path.c_str(), R_OK) != 0) return tl::unexpected(files::errnoError(errno, std::string(what) + " " + path.string()));
  return {};
}

// Copies the bytes an application handed over into the spool, synced: from here on the upload
// no longer needs the application (or its temporary file).
Result<void> spool(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (auto copied = files::copyDurably(from, to); !copied)
    return tl::unexpected(Error(copied.error().code, "cannot spool the upload's bytes: " + copied.error().message));
  return {};
}

// The body a resumed upload continues must be the bytes the server already has the beginning of:
// splicing two versions of a file would store something nobody sent. `kept`: our copy in resume/
// (else the application's own file).
Result<void> checkResumedBody(const std::filesystem::path& body, const model::FileIdentity& expected, bool kept) {
  auto identity = files::fileIdentity(body);
  if (!identity && !kept && identity.error().is(errc::not_found))
    return fail(errc::not_found, "the upload's file " + body.string() + " is gone; the resume data cannot continue it");
  if (!identity) return fail(errc::resume_data_stale, "the bytes behind the resume data are gone; start the upload again");
  if (*identity != expected)
    return fail(errc::source_changed, "the upload's file " + body.string() +
                                          " changed since the resume data was made; start the upload again to send the new version");
  return {};
}

std::string readAll(const std::filesystem::path& path, std::uint64_t limit) {
  std::string out;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return out;
  char buffer[65536];
  while (out.size() < limit) {
    ssize_t n = ::read(fd.get(), buffer, std::min<std::uint64_t>(sizeof buffer, limit - out.size()));
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace

std::filesystem::path TaskManager::responsePath(const Task& t) const {
  return state_dir_ / "responses" / (std::to_string(t.id) + ".body");
}

Result<TaskManager::ResumedUpload> TaskManager::adoptUploadResumeData(const std::string& blob, const std::string& session) {
  auto found = findResumeToken(blob, session, true);
  if (!found) return tl::unexpected(found.error());
  auto it = *found;
  const auto& token = it->second;
  auto stored = store::decodeRequest(token.request_json);
  if (!stored) return tl::unexpected(stored.error());
  if (!stored->upload) return fail(errc::internal, "the resume token of an upload has no upload description");
  ResumedUpload resumed{std::move(stored->request), UploadSpec{*stored->upload, {}, 0}, token.token, {}};
  // Its body is checked (checkResumedBody) by the writer work that commits the new task.
  if (!token.partial.empty()) resumed.kept_body = state_dir_ / token.partial;
  it->second.used = true;  // single use, from this moment (settleResumeToken)
  return resumed;
}

void TaskManager::createUpload(NewUpload spec, Reply reply) {
  if (sessions_.isInvalidating(spec.session))
    return reply(fail(errc::session_invalidated, "session " + spec.session + " is being invalidated and takes no new tasks"));
  std::optional<ResumedUpload> resumed;
  if (spec.resume_data) {
    auto adopted = adoptUploadResumeData(*spec.resume_data, spec.session);
    if (!adopted) return reply(tl::unexpected(adopted.error()));
    resumed = std::move(*adopted);
    spec.request = resumed->request;
  }
  if (auto checked = engine::checkUrl(spec.request.url); !checked) return reply(tl::unexpected(checked.error()));
  if (spec.request.method == "GET" || spec.request.method == "HEAD")
    return reply(fail(errc::invalid_argument, "an upload needs a method that carries a body (PUT, POST, PATCH, ...), not " +
                                                  spec.request.method));
  const bool spooling = resumed ? resumed->upload.spooled : !spec.spool_from.empty();
  if (!resumed) {
    const int sources = int(spooling) + int(!spec.file.empty()) + int(spec.stream);
    if (sources != 1)
      return reply(fail(errc::invalid_argument, "an upload needs exactly one of file (a path), spool_from (bytes) and stream"));
  }

  Task t;
  t.id = ++last_task_id_;
  t.session = spec.session;
  t.request = std::move(spec.request);
  if (!spec.description.empty()) t.editDetails().description = spec.description;
  t.scheduling = spec.scheduling;
  t.created_at = unixSecondsNow();
  t.resource_deadline = t.created_at + sessions_.config(spec.session).resource_timeout.count();
  t.suspend_count = spec.start ? 0 : 1;
  UploadSpec upload;
  if (resumed) {
    // The same body and upload resource; the engine asks the server for its offset (HEAD).
    upload = resumed->upload;
    upload.sent = 0;
    upload.response_headers.clear();
  } else {
    upload.spooled = spooling;
    upload.body = spec.file;
    upload.mode = spec.stream ? engine::ResumableMode::none : spec.mode;  // a stream cannot be rewound
    upload.stream = spec.stream;
    upload.stream_length = spec.stream_length;
  }
  if (spooling) upload.body = state_dir_ / "spool" / (std::to_string(t.id) + ".body");
  upload.redirects = spec.redirects.value_or(resumed ? upload.redirects : engine::RedirectPolicy::follow);
  t.upload = std::make_unique<UploadSpec>(std::move(upload));

  auto id = t.id;
  tasks_.emplace(id, std::move(t));
  auto* task = find(id);
  auto from = spec.spool_from;
  auto to = task->upload->body;
  auto identity = std::make_shared<engine::FileIdentity>(task->upload->identity);
  auto row = std::make_shared<store::TaskRow>(task->toRow());
  const std::string token = resumed ? resumed->token : std::string();
  const auto kept_body = resumed ? resumed->kept_body : std::filesystem::path();
  const auto file = spec.file;
  const bool stream = spec.stream;
  // The source is checked, spooled and identified here, on the writer's thread: the IPC thread
  // does no file I/O.
  writer_.submit(
      store::Durability::lifecycle,
      [row, from, to, file, identity, spooling, stream, token, kept_body](store::Store& s) -> Result<void> {
        if (!token.empty()) {
          const auto& resumed_body = kept_body.empty() ? to : kept_body;
          if (auto same = checkResumedBody(resumed_body, *identity, !kept_body.empty()); !same) return same;
          // The kept spool copy becomes this task's; the token is spent in the same transaction.
          if (!kept_body.empty())
            if (auto r = files::renameDurably(kept_body, to); !r) return r;
          if (auto d = s.deleteResumeToken(token); !d) return d;
        } else if (!stream) {
          if (auto ok = checkReadableFile(spooling ? from : file, spooling ? "spool_from" : "file"); !ok) return ok;
          if (spooling)
            if (auto copied = spool(from, to); !copied) return copied;
          auto id = files::fileIdentity(spooling ? to : file);
          if (!id) return tl::unexpected(id.error());
          *identity = *id;
          auto stored = store::decodeUpload(row->upload_json);
          if (!stored) return tl::unexpected(stored.error());
          stored->identity = *id;
          row->upload_json = store::encodeUpload(*stored);
        }
        if (auto n = s.noteTaskId(row->id); !n) return n;
        return s.upsertTask(*row);
      },
      onIo([this, id, reply, identity, token](Result<void> r) {
        if (!token.empty()) settleResumeToken(token, r.has_value());
        auto* t = find(id);
        if (t == nullptr) return;
        if (!r) {
          tasks_.erase(id);
          return reply(tl::unexpected(r.error()));
        }
        t->upload->identity = *identity;
        if (t->upload->stream)
          spdlog::info("task {}: streamed upload to {}", id, t->request.url);
        else
          spdlog::info("task {}: upload of {} ({} bytes) to {}", id, t->upload->body.string(), identity->size, t->request.url);
        if (t->suspend_count == 0) startEngine(*t);
        else transition(*t, Phase::suspended);
        reply(t->toInfo());
      }),
      store::Commit::prompt);
}

void TaskManager::startUploadEngine(Task& t) {
  const auto& config = sessions_.config(t.session);
  engine::UploadJob job;
  job.id = t.id;
  job.group = t.session;
  job.request = t.request;
  if (t.upload->stream) {
    auto stream = takeOpenedBodyStream(t);
    if (!stream) return waitForBodyStream(t, "an attempt starts");
    job.body = std::move(*stream);
  } else {
    job.body = engine::FileBody{t.upload->body, t.upload->identity};
  }
  job.response_body_path = responsePath(t);
  job.max_response_body_bytes = kMaxResponseBody;
  job.retry.resource_deadline = engine::WallClock::time_point(std::chrono::seconds(t.resource_deadline));
  job.max_bytes_per_second = config.max_bytes_per_second;
  job.scheduling = t.scheduling;
  job.transport = config.transport;
  job.redirects = t.upload->redirects;
  job.resumable.mode = t.upload->mode;
  job.resumable.upload_url = t.upload->upload_url;
  job.resumable.known_offset = t.upload->confirmed_offset;
  if (!transition(t, Phase::in_engine)) return;
  t.upload->response_headers.clear();
  engine_.start(std::move(job));
}

void TaskManager::onSendProgress(Task& t, const engine::SendProgress& p) {
  t.upload->sent = p.total_sent;
  t.editDetails().last_progress = std::chrono::steady_clock::now();
  rates_[t.session].add(p.bytes_sent);
  publishTransient(t, protocol::DidSendBodyData{p.bytes_sent, p.total_sent, p.total_expected});
}

void TaskManager::onUploadResourceKnown(Task& t, const engine::UploadResourceKnown& k) {
  // Durable before anything else: after a crash this URL is how the bytes the server already has
  // are found again.
  t.upload->upload_url = k.upload_url;
  spdlog::info("task {}: resumable upload at {}", t.id, k.upload_url);
  persist(t, store::Durability::lifecycle);
}

void TaskManager::onUploadRestarted(Task& t, const engine::UploadRestarted& r) {
  spdlog::warn("task {}: upload starts again from byte 0: {}", t.id, r.reason);
  t.upload->sent = 0;
  publishTransient(t, protocol::DidRestartUpload{r.reason});
}

void TaskManager::onUploadResponded(Task& t, const engine::Responded& r) {
  if (t.phase == Phase::in_engine) t.waiting_for.clear();
  t.editDetails().http_status = r.status;
  t.upload->response_headers = r.headers;
}

void TaskManager::onUploadFinished(Task& t, const engine::Finished& f) {
  if (auto held = pending_redirects_.find(t.id); held != pending_redirects_.end()) {
    held->second.deadline->cancel();  // stopped while held: nothing left to decide
    pending_redirects_.erase(held);
  }
  if (f.upload) {
    if (!f.upload->upload_url.empty()) t.upload->upload_url = f.upload->upload_url;
    t.upload->confirmed_offset = f.upload->confirmed_offset;
    t.upload->sent = f.upload->total_sent;
  }
  if (f.http_status != 0) t.editDetails().http_status = f.http_status;
  if (t.phase == Phase::stopping) return onStopped(t);
  if (t.upload->stream) {
    if (f.error && f.error->is(errc::needs_new_body_stream)) return waitForBodyStream(t, f.error->message);
    if (auto broken = brokenStreamError(t, f); broken && (!f.error || f.error->is(errc::http_error)))
      return endTask(t, Phase::failed, *broken, false);
    stream_ends_.erase(t.id);
  }
  if (f.error && !f.error->is(errc::http_error)) return endTask(t, Phase::failed, *f.error, false);
  deliverUploadAnswer(t, f);
}

// The server answered (2xx, or a 4xx whose body the application should see): didReceiveResponse,
// didReceiveData and didComplete go into the outbox with the task's end, in one transaction. The
// answer's body is read on the writer's thread first (the IPC thread does no file I/O), because
// whether there is a didReceiveData decides the events' sequence numbers, which have no gaps.
void TaskManager::deliverUploadAnswer(Task& t, const engine::Finished& f) {
  if (!transition(t, Phase::ending)) return;
  const auto body_path = f.upload ? f.upload->response_body_path : std::filesystem::path();
  auto body = std::make_shared<std::string>();
  writer_.submit(
      store::Durability::progress,
      [body_path, body](store::Store&) -> Result<void> {
        if (!body_path.empty()) *body = readAll(body_path, kMaxResponseBody);
        return {};
      },
      onIo([this, id = t.id, f, body](Result<void>) {
        if (auto* task = find(id); task != nullptr && task->phase == Phase::ending) commitUploadAnswer(*task, f, *body);
      }),
      store::Commit::prompt);
}

void TaskManager::commitUploadAnswer(Task& t, const engine::Finished& f, const std::string& body) {
  auto ending = std::make_shared<TaskEnding>();
  ending->final_phase = Phase::completed;
  ending->error = f.error;
  std::vector<store::EventRow> rows{
      outbox_.prepare(t.session, t.id, protocol::DidReceiveResponse{t.details().http_status, t.upload->response_headers})};
  if (!body.empty())
    rows.push_back(outbox_.prepare(t.session, t.id,
                                   protocol::DidReceiveData{body, f.upload && f.upload->response_body_truncated}));
  rows.push_back(outbox_.prepare(t.session, t.id, protocol::DidComplete{f.error, t.details().http_status, std::nullopt, t.metricsCopy()}));
  store::TaskRow row = t.toRow();
  row.state = std::string(stateName(TaskState::completed));
  if (f.error) {
    row.error_code = f.error->code;
    row.error_message = f.error->message;
  }
  *ending->events = rows;
  ending->work = [row, rows](store::Store& s) -> Result<void> {
    if (auto u = s.upsertTask(row); !u) return u;
    for (const auto& e : rows)
      if (auto a = s.appendEvent(e); !a) return a;
    return {};
  };
  ending->on_committed = [](Task& task) { spdlog::info("task {}: upload completed, HTTP {}", task.id, task.details().http_status); };
  commitEnding(t, std::move(ending));
}

}  // namespace ferry::daemon
