#include "daemon/task_manager.hpp"

#include <unistd.h>

#include <algorithm>
#include <memory>

#include <spdlog/spdlog.h>

#include "common/files.hpp"
#include "common/overloaded.hpp"
#include "common/url_file_name.hpp"
#include "engine/url_check.hpp"

namespace ferry::daemon {
namespace {

using Json = protocol::Json;

std::int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Json errorOrNull(const std::optional<Error>& e) { return e ? protocol::errorJson(*e) : Json(nullptr); }

// didComplete's error for a task the application cancelled.
Error cancelledError(const Task& t, bool resume_data_asked) {
  std::string message = t.isUpload() ? "the upload was cancelled" : "the download was cancelled";
  if (resume_data_asked) message += "; resume data was asked for";
  return Error(errc::cancelled, message);
}

// An upload can be continued from resume data when the server keeps what it received under an
// upload resource it named, and the body can be read again (a file, or our spooled copy).
bool uploadCanResume(const UploadSpec& u) {
  return !u.stream && u.mode != engine::ResumableMode::none && !u.upload_url.empty();
}

// Copies `from` into a temporary beside `to`, syncs it and renames it into place: the fallback
// when the destination is on another file system (rename gives EXDEV).
Result<void> copyDurably(const std::filesystem::path& from, const std::filesystem::path& to) {
  auto tmp = to;
  tmp += ".ferry-partial";
  std::error_code ec;
  std::filesystem::copy_file(from, tmp, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return fail(ec == std::errc::no_space_on_device ? errc::no_space : errc::io,
                "cannot copy the download to " + to.string() + ": " + ec.message());
  }
  if (auto s = files::syncData(tmp); !s) return s;
  if (auto r = files::renameDurably(tmp, to); !r) return r;
  std::filesystem::remove(from, ec);
  return {};
}

}  // namespace

TaskManager::TaskManager(boost::asio::io_context& io, store::Writer& writer, engine::Engine& engine,
                         EventOutbox& outbox, const ResumeDataCodec& codec, std::filesystem::path state_dir,
                         std::chrono::milliseconds checkpoint_interval)
    : io_(io),
      writer_(writer),
      engine_(engine),
      outbox_(outbox),
      codec_(codec),
      state_dir_(std::move(state_dir)),
      checkpoint_interval_(checkpoint_interval) {}

// ---------------------------------------------------------------- start-up

void TaskManager::restore(const store::Snapshot& snapshot,
                          const std::map<std::string, protocol::SessionConfig>& configs,
                          const std::set<std::string>& invalidating) {
  configs_ = configs;
  invalidating_ = invalidating;
  for (const auto& e : snapshot.events)
    if (e.type == protocol::event::did_become_invalid) invalidation_queued_.insert(e.session);
  for (const auto& [session, config] : configs_) {
    engine_.setGroupLimits(session, {config.max_concurrent, config.max_per_host});
    admission_.setLimits(session, config.max_concurrent, config.max_per_host);
  }
  last_task_id_ = snapshot.max_task_id;
  for (const auto& token : snapshot.resume_tokens) tokens_[token.token] = token;
  for (const auto& row : snapshot.tasks) {
    auto task = Task::fromRow(row);
    if (!task) {
      spdlog::error("task {} cannot be restored: {}", row.id, task.error().describe());
      continue;
    }
    last_task_id_ = std::max(last_task_id_, task->id);
    auto& t = tasks_.emplace(task->id, std::move(*task)).first->second;
    if (t.state != TaskState::running && t.state != TaskState::finalizing) continue;
    if (t.isUpload()) {
      // Nothing to cut back: the server knows how many bytes it has (HEAD when a URL is stored).
      spdlog::info("task {}: resuming the upload{}", t.id, t.upload->upload_url.empty() ? " from byte 0" : " at the server's offset");
      startEngine(t);
      continue;
    }
    // Bytes past the durable offset were never promised: cut them off before resuming.
    auto size = files::fileSize(partialPath(t));
    if (!size || *size < t.durable) {
      if (t.durable > 0) spdlog::warn("task {}: partial file shorter than its durable offset; starting again", t.id);
      t.durable = 0;
      t.validators = {};
    } else if (auto cut = files::truncateTo(partialPath(t), t.durable); !cut) {
      spdlog::warn("task {}: {}; starting again", t.id, cut.error().describe());
      t.durable = 0;
    }
    spdlog::info("task {}: resuming at durable offset {}", t.id, t.durable);
    startEngine(t);
  }
  for (const auto& session : invalidating_) maybeEndInvalidation(session);
}

void TaskManager::setSessionConfig(const std::string& session, const protocol::SessionConfig& config) {
  configs_[session] = config;
  engine_.setGroupLimits(session, {config.max_concurrent, config.max_per_host});
  admission_.setLimits(session, config.max_concurrent, config.max_per_host);
  startAdmitted(admission_.admitWaiting(session));
  persistSession(session);
}

void TaskManager::persistSession(const std::string& session, std::function<void(Result<void>)> done) {
  Json config = protocol::sessionConfigToJson(configs_[session]);
  if (isInvalidating(session)) config["invalidating"] = true;  // read back by Daemon at start-up
  store::SessionRow row{session, config.dump(), unixNow()};
  const auto commit = done ? store::Commit::prompt : store::Commit::batched;  // a reply waits for it
  writer_.submit(store::Durability::lifecycle, [row](store::Store& s) { return s.upsertSession(row); },
                 done ? onIo(std::move(done)) : store::Writer::Done{}, commit);
}

// ---------------------------------------------------------------- invalidation

void TaskManager::invalidate(const std::string& session, bool cancel_tasks, std::function<void(Result<void>)> done) {
  if (invalidating_.insert(session).second)
    spdlog::info("session {}: invalidating{}", session, cancel_tasks ? " and cancelling its tasks" : " once its tasks end");
  persistSession(session, std::move(done));  // the reply waits for this: a crash after it keeps the mark
  if (cancel_tasks) cancelAll(session);
  maybeEndInvalidation(session);
}

void TaskManager::maybeEndInvalidation(const std::string& session) {
  if (!isInvalidating(session) || invalidation_queued_.count(session) != 0) return;
  for (const auto& [id, t] : tasks_)
    if (t.session == session && !isFinal(t.state)) return;
  invalidation_queued_.insert(session);
  appendEvents({outbox_.prepare(session, 0, protocol::event::did_become_invalid, Json{{"error", nullptr}})});
}

// ---------------------------------------------------------------- helpers

Task* TaskManager::find(std::uint64_t id) {
  auto it = tasks_.find(id);
  return it == tasks_.end() ? nullptr : &it->second;
}

Result<Task*> TaskManager::findScoped(std::uint64_t id, const std::optional<std::string>& scope) {
  auto* t = find(id);
  if (t == nullptr || (scope && t->session != *scope)) {
    std::string where = scope ? " in session " + *scope : "";
    return fail(errc::not_found, "there is no task " + std::to_string(id) + where + " (ferryctl list shows the tasks)");
  }
  return t;
}

std::filesystem::path TaskManager::deliveredPath(const Task& t) const {
  return state_dir_ / "delivered" / (std::to_string(t.id) + "-" + urls::fileNameOf(t.request.url, "download"));
}

store::Writer::Done TaskManager::onIo(std::function<void(Result<void>)> fn) {
  return [this, fn = std::move(fn)](Result<void> r) {
    boost::asio::post(io_, [fn, r = std::move(r)]() { fn(r); });
  };
}

void TaskManager::persist(const Task& t, store::Durability durability) {
  writer_.submit(durability, [row = t.toRow()](store::Store& s) { return s.upsertTask(row); });
}

void TaskManager::whenDurable(std::function<void()> fn) {
  // The writer runs items in submission order, so an empty item completes after every earlier one.
  writer_.submit(store::Durability::lifecycle, [](store::Store&) -> Result<void> { return {}; },
                 onIo([fn = std::move(fn)](Result<void>) { fn(); }), store::Commit::prompt);
}

void TaskManager::publishTransient(const Task& t, std::string_view type, Json payload) {
  outbox_.transient(t.session, t.id, type, std::move(payload));
}

void TaskManager::appendEvents(std::vector<store::EventRow> rows) {
  writer_.submit(
      store::Durability::lifecycle,
      [rows](store::Store& s) -> Result<void> {
        for (const auto& r : rows)
          if (auto a = s.appendEvent(r); !a) return a;
        return {};
      },
      onIo([this, rows](Result<void> r) {
        if (!r) {
          spdlog::error("could not store events: {}", r.error().describe());
          return;
        }
        for (const auto& row : rows) outbox_.committed(row);
      }),
      store::Commit::prompt);
}

// ---------------------------------------------------------------- requests

void TaskManager::createDownload(NewDownload spec, Reply reply) {
  if (isInvalidating(spec.session))
    return reply(fail(errc::session_invalidated,
                      "session " + spec.session + " is being invalidated and takes no new tasks; after didBecomeInvalid, "
                      "create the session again"));
  if (!spec.resume_data) {
    // Refused at once, as any other bad argument: a task that can never run is not created.
    if (auto checked = engine::checkUrl(spec.request.url); !checked) return reply(tl::unexpected(checked.error()));
  }
  if (!spec.destination.empty()) {
    std::filesystem::path dest(spec.destination);
    if (!dest.is_absolute())
      return reply(fail(errc::invalid_argument, "destination " + spec.destination + " must be an absolute path"));
    std::error_code ec;
    if (!std::filesystem::is_directory(dest.parent_path(), ec))
      return reply(fail(errc::not_found, "the destination's directory " + dest.parent_path().string() + " does not exist"));
    if (std::filesystem::is_directory(dest, ec))
      return reply(fail(errc::invalid_argument, "destination " + spec.destination + " is a directory; name a file"));
  }
  Task t;
  t.id = ++last_task_id_;
  t.session = spec.session;
  t.request = std::move(spec.request);
  t.destination = spec.destination;
  t.description = spec.description;
  t.scheduling = spec.scheduling;
  t.partial = "partial/" + std::to_string(t.id) + ".part";
  t.created_at = unixNow();
  t.resource_deadline = t.created_at + spec.config.resource_timeout.count();
  t.suspend_count = spec.start ? 0 : 1;
  t.state = spec.start ? TaskState::running : TaskState::suspended;
  t.waiting_for = spec.start ? "queued" : "suspended";

  std::string token;
  if (spec.resume_data) {
    if (auto adopted = adoptResumeData(t, *spec.resume_data, token); !adopted) {
      return reply(tl::unexpected(adopted.error()));
    }
  }
  std::filesystem::path resume_file = token.empty() ? std::filesystem::path() : state_dir_ / "resume" / (token + ".part");
  std::filesystem::path partial = partialPath(t);
  auto id = t.id;
  auto row = t.toRow();
  tasks_.emplace(id, std::move(t));
  writer_.submit(
      store::Durability::lifecycle,
      [row, token, resume_file, partial](store::Store& s) -> Result<void> {
        if (auto n = s.noteTaskId(row.id); !n) return n;
        if (!token.empty()) {
          if (auto r = files::renameDurably(resume_file, partial); !r) return r;
          if (auto d = s.deleteResumeToken(token); !d) return d;
        }
        return s.upsertTask(row);
      },
      onIo([this, id, reply](Result<void> r) {
        auto* t = find(id);
        if (t == nullptr) return;
        if (!r) {
          tasks_.erase(id);
          return reply(tl::unexpected(r.error()));
        }
        if (t->state == TaskState::running) startEngine(*t);
        reply(t->toInfo());
      }),
      store::Commit::prompt);
}

Result<std::map<std::string, store::ResumeTokenRow>::iterator> TaskManager::findResumeToken(const std::string& blob,
                                                                                            const std::string& session,
                                                                                            bool upload) {
  auto data = codec_.decode(blob);
  if (!data) return tl::unexpected(data.error());
  if (data->session != session)
    return fail(errc::resume_data_foreign, "the resume data belongs to session " + data->session +
                                               "; resume it from that session");
  const std::string what = upload ? "upload" : "download";
  auto it = tokens_.find(data->token);
  if (it == tokens_.end() || it->second.used)
    return fail(errc::resume_data_stale, "the resume data was already used or has expired; start the " + what + " again from its URL");
  const bool of_upload = Json::parse(it->second.request_json, nullptr, false).contains("upload");
  if (of_upload != upload)
    return fail(errc::invalid_argument, of_upload ? "the resume data is an upload's; continue it with uploadTaskWithResumeData "
                                                    "(ferryctl upload --resume-data)"
                                                  : "the resume data is a download's; continue it with downloadTaskWithResumeData "
                                                    "(ferryctl download --resume-data)");
  return it;
}

Result<void> TaskManager::adoptResumeData(Task& t, const std::string& blob, std::string& token_out) {
  auto found = findResumeToken(blob, t.session, false);
  if (!found) return tl::unexpected(found.error());
  auto it = *found;
  const auto& token = it->second;
  auto size = files::fileSize(state_dir_ / token.partial);
  if (!size || *size < token.offset)
    return fail(errc::resume_data_stale, "the partial file behind the resume data is gone; start the download again from its URL");
  auto request = protocol::requestFromJson(Json::parse(token.request_json, nullptr, false));
  if (!request) return tl::unexpected(request.error());
  if (t.request.url.empty() || t.request.url == request->url) t.request = *request;
  t.durable = t.written = token.offset;
  t.validators = {token.etag, token.last_modified};
  it->second.used = true;  // single use, from this moment
  token_out = token.token;
  tokens_.erase(it);
  return {};
}

Result<protocol::TaskInfo> TaskManager::suspend(std::uint64_t id, const std::optional<std::string>& scope) {
  auto found = findScoped(id, scope);
  if (!found) return tl::unexpected(found.error());
  auto& t = **found;
  if (isFinal(t.state) || t.state == TaskState::finalizing)
    return fail(errc::invalid_state, "task " + std::to_string(id) + " is " + std::string(stateName(t.state)) + "; it cannot be suspended");
  ++t.suspend_count;
  dropBodyStream(id);  // a streamed upload asks for a new stream when resumed
  if (t.suspend_count == 1 && t.state == TaskState::running) {
    t.state = TaskState::suspended;
    t.waiting_for = "suspended";
    t.restart_after_stop = false;
    if (t.in_engine) {
      t.stop_intent = StopIntent::suspend;
      engine_.stop(id);
    } else if (auto place = admissionPlace(t)) {
      admission_.withdraw(*place);
    }
  }
  persist(t);
  return t.toInfo();
}

Result<protocol::TaskInfo> TaskManager::resume(std::uint64_t id, const std::optional<std::string>& scope) {
  auto found = findScoped(id, scope);
  if (!found) return tl::unexpected(found.error());
  auto& t = **found;
  if (isFinal(t.state))
    return fail(errc::invalid_state, "task " + std::to_string(id) + " is " + std::string(stateName(t.state)) + "; it cannot be resumed");
  if (t.suspend_count == 0) return t.toInfo();  // as URLSession: resuming a running task does nothing
  --t.suspend_count;
  if (t.suspend_count == 0 && t.state == TaskState::suspended) {
    if (t.in_engine) {
      t.restart_after_stop = true;  // the stop is still in flight; start again when it lands
    } else {
      startEngine(t);
    }
  }
  persist(t);
  return t.toInfo();
}

Result<protocol::TaskInfo> TaskManager::cancel(std::uint64_t id, const std::optional<std::string>& scope) {
  auto found = findScoped(id, scope);
  if (!found) return tl::unexpected(found.error());
  auto& t = **found;
  if (isFinal(t.state) || t.state == TaskState::finalizing)
    return fail(errc::invalid_state, "task " + std::to_string(id) + " is already " + std::string(stateName(t.state)));
  if (t.in_engine) {
    t.stop_intent = StopIntent::cancel;
    t.restart_after_stop = false;
    engine_.stop(id);
  } else {
    if (auto place = admissionPlace(t)) admission_.withdraw(*place);
    endTask(t, TaskState::cancelled, cancelledError(t, false), false);
  }
  return t.toInfo();
}

void TaskManager::cancelWithResumeData(std::uint64_t id, const std::optional<std::string>& scope, ResumeDataReply reply) {
  auto found = findScoped(id, scope);
  if (!found) return reply(tl::unexpected(found.error()));
  auto& t = **found;
  if (isFinal(t.state) || t.state == TaskState::finalizing)
    return reply(fail(errc::invalid_state, "task " + std::to_string(id) + " is already " + std::string(stateName(t.state))));
  if (t.in_engine) {
    t.stop_intent = StopIntent::cancel_with_resume_data;
    t.restart_after_stop = false;
    t.on_resume_data = std::move(reply);
    engine_.stop(id);
  } else {
    if (auto place = admissionPlace(t)) admission_.withdraw(*place);
    endTask(t, TaskState::cancelled, cancelledError(t, true), true, std::move(reply));
  }
}

void TaskManager::cancelAll(const std::string& session) {
  for (auto& [id, t] : tasks_)
    if (t.session == session && !isFinal(t.state) && t.state != TaskState::finalizing) (void)cancel(id, std::nullopt);
}

std::vector<protocol::TaskInfo> TaskManager::list(const std::optional<std::string>& session) const {
  std::vector<protocol::TaskInfo> out;
  for (const auto& [id, t] : tasks_)
    if (!session || t.session == *session) out.push_back(t.toInfo());
  return out;
}

std::map<std::string, int> TaskManager::countByState() const {
  std::map<std::string, int> counts;
  for (const auto& [id, t] : tasks_) ++counts[std::string(stateName(t.state))];
  return counts;
}

std::map<std::string, double> TaskManager::currentRates() {
  std::map<std::string, double> out;
  for (auto it = rates_.begin(); it != rates_.end();) {
    const double rate = it->second.bytesPerSecond();
    if (rate > 0) {
      out[it->first] = rate;
      ++it;
    } else {
      it = rates_.erase(it);
    }
  }
  return out;
}

void TaskManager::onEventAcked(const store::EventRow& row) {
  // A delivered file the application did not move goes away, as in URLSession — but only once
  // the acknowledgement is committed: if ferryd dies before that, the event is delivered again
  // and must still find its file.
  std::filesystem::path unmoved;
  if (auto* t = find(row.task_id); row.type == protocol::event::did_finish_downloading_to && t != nullptr && t->destination.empty())
    unmoved = deliveredPath(*t);
  writer_.submit(store::Durability::progress, [seq = row.seq](store::Store& s) { return s.deleteEvent(seq); },
                 onIo([unmoved](Result<void> r) {
                   std::error_code ec;
                   if (r && !unmoved.empty()) std::filesystem::remove(unmoved, ec);
                 }));
  if (row.type == protocol::event::did_become_invalid) {
    // The application knows: forget the session, so that its identifier starts afresh.
    invalidating_.erase(row.session);
    invalidation_queued_.erase(row.session);
    configs_.erase(row.session);
    writer_.submit(store::Durability::lifecycle, [session = row.session](store::Store& s) { return s.deleteSession(session); });
    spdlog::info("session {}: invalid; forgotten", row.session);
    return;
  }
  auto* t = find(row.task_id);
  if (t != nullptr && isFinal(t->state) && !outbox_.hasPending(t->session, t->id)) {
    writer_.submit(store::Durability::progress, [id = t->id](store::Store& s) { return s.deleteTask(id); });
    tasks_.erase(t->id);
  }
}

// ---------------------------------------------------------------- engine

void TaskManager::startEngine(Task& t) {
  t.state = TaskState::running;
  t.stop_intent = StopIntent::none;
  if (auto place = admissionPlace(t); place && !admission_.enter(*place)) {
    t.in_engine = false;
    t.waiting_for = "queued";
    publishTransient(t, protocol::event::task_state, {{"state", "running"}, {"waiting_for", t.waiting_for}});
    return;
  }
  handToEngine(t);
}

std::optional<EngineAdmission::Place> TaskManager::admissionPlace(const Task& t) const {
  if (t.isUpload() && t.upload->stream) return std::nullopt;  // waits for its application first
  const auto& begin = t.scheduling.begin_at;
  if (begin && *begin > std::chrono::system_clock::now()) return std::nullopt;  // waits in the engine, slot-free
  auto url = engine::checkUrl(t.request.url);
  if (!url) return std::nullopt;  // the engine fails it at once
  return EngineAdmission::Place{t.id, t.session, url->host_key, t.scheduling.discretionary, t.scheduling.priority};
}

void TaskManager::leftEngine(Task& t) {
  t.in_engine = false;
  startAdmitted(admission_.left(t.id));
}

void TaskManager::startAdmitted(std::vector<std::uint64_t> ids) {
  for (std::size_t i = 0; i < ids.size(); ++i) {  // in order: the engine starts them first come, first served
    const auto id = ids[i];
    auto* t = find(id);
    if (t != nullptr && t->state == TaskState::running && !t->in_engine) {
      handToEngine(*t);
    } else {
      // Not waiting any more (it would have been withdrawn): give the room on.
      auto next = admission_.left(id);
      ids.insert(ids.end(), next.begin(), next.end());
    }
  }
}

// The task's job goes to the engine, which reports from now on (Waiting, Responded, ...).
void TaskManager::handToEngine(Task& t) {
  if (t.isUpload()) {
    t.waiting_for = "queued";
    t.in_engine = true;
    return startUploadEngine(t);
  }
  const auto& config = configs_[t.session];
  engine::DownloadJob job;
  job.id = t.id;
  job.group = t.session;
  job.request = t.request;
  job.partial_path = partialPath(t);
  job.resume_offset = t.durable;
  job.validators = t.validators;
  job.retry.resource_deadline = engine::WallClock::time_point(std::chrono::seconds(t.resource_deadline));
  job.max_bytes_per_second = config.max_bytes_per_second;
  job.scheduling = t.scheduling;
  t.waiting_for = "queued";
  t.in_engine = true;
  t.written = t.durable;
  t.resumed_from_offset = t.durable > 0;
  t.last_checkpoint = std::chrono::steady_clock::now();
  std::error_code ec;
  std::filesystem::create_directories(partialPath(t).parent_path(), ec);
  engine_.start(std::move(job));
}

void TaskManager::onEngineEvent(const engine::EngineEvent& event) {
  auto* t = find(engine::taskOf(event));
  if (t == nullptr || !t->in_engine) return;
  std::visit(Overloaded{
                 [&](const engine::Waiting& w) {
                   if (t->state != TaskState::running) return;
                   t->waiting_for = w.reason;
                   publishTransient(*t, protocol::event::task_state, {{"state", "running"}, {"waiting_for", w.reason}});
                 },
                 [&](const engine::Responded& r) { t->isUpload() ? onUploadResponded(*t, r) : onResponded(*t, r); },
                 [&](const engine::Progress& p) {
                   if (!t->isUpload()) onProgress(*t, p);
                 },
                 [&](const engine::Retrying& r) {
                   spdlog::info("task {}: attempt {} failed ({}); retrying", t->id, r.attempt, r.error.describe());
                 },
                 [&](const engine::Finished& f) { t->isUpload() ? onUploadFinished(*t, f) : onFinished(*t, f); },
             },
             event);
}

void TaskManager::onResponded(Task& t, const engine::Responded& r) {
  if (t.state == TaskState::running) t.waiting_for.clear();
  bool restarted = r.offset < t.written || (r.offset == 0 && t.durable > 0);
  bool report = t.resumed_from_offset || (restarted && t.written > 0);
  t.resumed_from_offset = false;
  if (r.offset < t.durable || r.validators != t.validators) ++t.generation;
  t.validators = r.validators;
  if (r.expected_total) t.expected_total = r.expected_total;
  t.http_status = r.status;
  t.written = r.offset;
  if (t.durable > r.offset) {
    // The server sent a different entity: the old durable bytes are void. Say so durably now.
    t.durable = r.offset;
    writer_.submit(store::Durability::lifecycle,
                   [id = t.id, off = r.offset, exp = t.expected_total, v = t.validators](store::Store& s) {
                     return s.updateTaskOffset(id, off, exp, v.etag, v.last_modified);
                   });
  }
  if (report) {
    Json payload{{"fileOffset", r.offset},
                 {"expectedTotalBytes", t.expected_total ? Json(*t.expected_total) : Json(-1)}};
    appendEvents({outbox_.prepare(t.session, t.id, protocol::event::did_resume_at_offset, payload)});
  }
}

void TaskManager::onProgress(Task& t, const engine::Progress& p) {
  t.written = p.total_written;
  rates_[t.session].add(p.bytes_written);
  if (p.expected_total) t.expected_total = p.expected_total;
  publishTransient(t, protocol::event::did_write_data,
                   {{"bytesWritten", p.bytes_written},
                    {"totalBytesWritten", p.total_written},
                    {"totalBytesExpectedToWrite", t.expected_total ? Json(*t.expected_total) : Json(-1)}});
  if (!t.checkpoint_in_flight && std::chrono::steady_clock::now() - t.last_checkpoint >= checkpoint_interval_)
    checkpoint(t, store::Durability::progress);
}

void TaskManager::checkpoint(Task& t, store::Durability durability) {
  t.checkpoint_in_flight = true;
  t.last_checkpoint = std::chrono::steady_clock::now();
  auto id = t.id;
  auto offset = t.written;
  auto generation = t.generation;
  auto validators = t.validators;
  auto expected = t.expected_total;
  auto path = partialPath(t);
  writer_.submit(
      durability,
      [=](store::Store& s) -> Result<void> {
        if (offset > 0)
          if (auto synced = files::syncData(path); !synced) return synced;
        return s.updateTaskOffset(id, offset, expected, validators.etag, validators.last_modified);
      },
      onIo([this, id, offset, generation](Result<void> r) {
        auto* t = find(id);
        if (t == nullptr) return;
        t->checkpoint_in_flight = false;
        if (r) {
          if (t->generation == generation && offset > t->durable) t->durable = offset;
          return;
        }
        // A failed fdatasync is never retried and trusted: the bytes after the last durable
        // offset are refetched.
        spdlog::error("task {}: could not make bytes durable ({}); refetching from offset {}", id,
                      r.error().describe(), t->durable);
        ++t->generation;
        t->written = t->durable;
        if (t->in_engine && t->state == TaskState::running) engine_.restartFrom(id, t->durable);
      }));
}

void TaskManager::onFinished(Task& t, const engine::Finished& f) {
  leftEngine(t);
  t.written = f.total_written;
  if (!f.validators.empty()) t.validators = f.validators;
  if (f.expected_total) t.expected_total = f.expected_total;
  if (f.http_status != 0) t.http_status = f.http_status;
  if (t.stop_intent != StopIntent::none) return onStopped(t);
  if (!f.error || f.error->is(errc::http_error)) {
    t.error = f.error;
    return finalizeFile(t);
  }
  endTask(t, TaskState::failed, *f.error, f.resumable);
}

void TaskManager::onStopped(Task& t) {
  auto intent = std::exchange(t.stop_intent, StopIntent::none);
  switch (intent) {
    case StopIntent::cancel:
      return endTask(t, TaskState::cancelled, cancelledError(t, false), false);
    case StopIntent::cancel_with_resume_data:
      return endTask(t, TaskState::cancelled, cancelledError(t, true), true, std::exchange(t.on_resume_data, {}));
    case StopIntent::suspend:
    case StopIntent::shutdown:
    case StopIntent::none:
      if (t.isUpload()) persist(t, store::Durability::lifecycle);
      else checkpoint(t, store::Durability::lifecycle);
      if (std::exchange(t.restart_after_stop, false) && t.suspend_count == 0) {
        // Resumed while stopping: wait for the checkpoint's durable offset, then continue.
        writer_.submit(store::Durability::progress, [](store::Store&) -> Result<void> { return {}; },
                       onIo([this, id = t.id](Result<void>) {
                         auto* task = find(id);
                         if (task && task->state == TaskState::suspended && task->suspend_count == 0 && !task->in_engine)
                           startEngine(*task);
                       }));
      }
      return;
  }
}

void TaskManager::finalizeFile(Task& t) {
  t.state = TaskState::finalizing;
  t.waiting_for.clear();
  auto partial = partialPath(t);
  std::filesystem::path target = t.destination.empty() ? deliveredPath(t) : std::filesystem::path(t.destination);
  std::filesystem::path fallback = deliveredPath(t);
  auto finish = outbox_.prepare(t.session, t.id, protocol::event::did_finish_downloading_to, Json::object());
  auto complete = outbox_.prepare(t.session, t.id, protocol::event::did_complete, Json::object());
  struct Outcome {
    std::string location;
    std::optional<Error> move_error;
    std::vector<store::EventRow> events;
  };
  auto outcome = std::make_shared<Outcome>();
  store::TaskRow row = t.toRow();
  row.state = std::string(stateName(TaskState::completed));
  row.durable_offset = t.written;
  auto http_error = t.error;
  long status = t.http_status;
  std::uint64_t bytes = t.written;
  writer_.submit(
      store::Durability::lifecycle,
      [=](store::Store& s) mutable -> Result<void> {
        if (auto synced = files::syncData(partial); !synced) return synced;
        std::error_code ec;
        std::filesystem::create_directories(fallback.parent_path(), ec);
        auto moved = files::renameDurably(partial, target);
        if (!moved && moved.error().code == errc::io) moved = copyDurably(partial, target);
        if (!moved && target != fallback) {
          outcome->move_error = Error(moved.error().code, "downloaded, but could not put the file at " + target.string() +
                                                              " (" + moved.error().message + "); it was handed over at " +
                                                              fallback.string() + " instead");
          target = fallback;
          moved = files::renameDurably(partial, target);
        }
        if (!moved) return moved;
        outcome->location = target.string();
        row.result_path = target.string();
        std::optional<Error> error = outcome->move_error ? outcome->move_error : http_error;
        if (error) {
          row.error_code = error->code;
          row.error_message = error->message;
        }
        // "temporary": in delivered/, removed once the application's callback returns.
        finish.payload_json = Json{{"location", target.string()},
                                   {"temporary", target == fallback},
                                   {"statusCode", status},
                                   {"totalBytesWritten", bytes}}
                                  .dump();
        complete.payload_json = Json{{"error", errorOrNull(error)}, {"statusCode", status}}.dump();
        outcome->events = {finish, complete};
        if (auto u = s.upsertTask(row); !u) return u;
        if (auto a = s.appendEvent(finish); !a) return a;
        return s.appendEvent(complete);
      },
      onIo([this, id = t.id, outcome](Result<void> r) {
        auto* t = find(id);
        if (t == nullptr) return;
        if (!r) {
          spdlog::error("task {}: could not finish the file: {}", id, r.error().describe());
          if (r.error().is(errc::no_space) || r.error().is(errc::io)) {
            // The sync failed: the bytes after the durable offset are not trusted; fetch them again.
            ++t->generation;
            startEngine(*t);
            return;
          }
          endTask(*t, TaskState::failed, r.error(), false);
          return;
        }
        t->state = TaskState::completed;
        t->result_path = outcome->location;
        if (outcome->move_error) t->error = outcome->move_error;
        spdlog::info("task {}: completed, {} bytes at {}", id, t->written, outcome->location);
        for (const auto& e : outcome->events) outbox_.committed(e);
        maybeEndInvalidation(t->session);
      }),
      store::Commit::prompt);
}

void TaskManager::endTask(Task& t, TaskState final_state, Error error, bool keep_resume_data,
                          ResumeDataReply reply) {
  dropBodyStream(t.id);
  stream_ends_.erase(t.id);
  t.state = TaskState::finalizing;
  t.waiting_for.clear();
  const bool resumable = keep_resume_data && (t.isUpload() ? uploadCanResume(*t.upload) : t.written > 0 && !t.validators.empty());
  store::ResumeTokenRow token;
  std::string blob;
  // What the token keeps in resume/: a download's partial file (cut to the offset), an upload's
  // spooled body (the application's own file stays where it is; its identity is in the token).
  std::filesystem::path keep_from;
  bool cut_to_offset = false;
  if (resumable) {
    token.token = randomToken();
    token.session = t.session;
    token.source_task = t.id;
    token.created_at = unixNow();
    auto request_json = protocol::requestToJson(t.request);
    if (t.isUpload()) {
      // The server, not the token, decides where the upload continues (HEAD); the offset is informational.
      token.offset = t.upload->confirmed_offset;
      request_json["upload"] = t.upload->toJson();
      if (t.upload->spooled) {
        token.partial = "resume/" + token.token + ".body";
        keep_from = t.upload->body;
      }
    } else {
      token.partial = "resume/" + token.token + ".part";
      token.offset = t.written;
      token.etag = t.validators.etag;
      token.last_modified = t.validators.last_modified;
      keep_from = partialPath(t);
      cut_to_offset = true;
    }
    token.request_json = request_json.dump();
    blob = codec_.encode({codec_.keyId(), token.token, t.session, t.request.url, token.offset});
  }
  auto complete = outbox_.prepare(t.session, t.id, protocol::event::did_complete, Json::object());
  store::TaskRow row = t.toRow();
  row.state = std::string(stateName(final_state));
  row.error_code = error.code;
  row.error_message = error.message;
  auto partial = partialPath(t);
  auto resume_file = token.partial.empty() ? std::filesystem::path() : state_dir_ / token.partial;
  auto made_blob = std::make_shared<std::string>();
  auto event = std::make_shared<store::EventRow>(complete);
  auto record = std::make_shared<EndRecord>();
  record->id = t.id;
  record->final_state = final_state;
  record->error = error;
  record->token = token;
  record->made_blob = made_blob;
  record->event = event;
  record->reply = std::move(reply);
  // Idempotent, because it runs again when its commit fails (a full disk): the partial file that
  // was already moved to resume/ is found there; the SQL of a failed run was rolled back.
  record->work = [=](store::Store& s) -> Result<void> {
    std::error_code ec;
    bool kept = false;
    made_blob->clear();
    if (resumable) {
      bool moved = keep_from.empty() || std::filesystem::exists(resume_file, ec);
      if (!moved) {
        std::filesystem::create_directories(resume_file.parent_path(), ec);
        auto synced = files::syncData(keep_from);
        moved = synced && (!cut_to_offset || files::truncateTo(keep_from, token.offset)) &&
                files::renameDurably(keep_from, resume_file);
      }
      if (moved) {
        // Without its row the file is an orphan nobody can resume: fail the whole record (and try
        // it again) rather than hand out didComplete without the resume data it could carry.
        if (auto p = s.putResumeToken(token); !p) return p;
        kept = true;
        *made_blob = blob;
      } else {
        spdlog::warn("task {}: resume data could not be kept", row.id);
      }
    }
    if (!kept) std::filesystem::remove(partial, ec);
    Json payload{{"error", protocol::errorJson(error)}, {"statusCode", row.http_status}};
    if (kept) payload["resumeData"] = blob;
    event->payload_json = payload.dump();
    if (auto u = s.upsertTask(row); !u) return u;
    return s.appendEvent(*event);
  };
  submitEndRecord(record);
}

void TaskManager::submitEndRecord(std::shared_ptr<EndRecord> record) {
  writer_.submit(
      store::Durability::lifecycle, record->work,
      onIo([this, record](Result<void> r) { onEndRecorded(record, std::move(r)); }), store::Commit::prompt);
}

void TaskManager::onEndRecorded(std::shared_ptr<EndRecord> record, Result<void> r) {
  const auto id = record->id;
  auto* t = find(id);
  if (t == nullptr) return;
  const bool retry = !r && (r.error().is(errc::no_space) || r.error().is(errc::io));
  if (record->attempts++ == 0) {
    t->state = record->final_state;
    t->error = record->error;
    if (t->isUpload()) {
      std::error_code ec;
      std::filesystem::remove(responsePath(*t), ec);
      if (t->upload->spooled) std::filesystem::remove(t->upload->body, ec);
    }
    if (!r) {
      spdlog::error("task {}: could not record its end: {}{}", id, r.error().describe(),
                    retry ? "; trying again every second until it can (didComplete waits for it)" : "");
    }
    spdlog::info("task {}: {} ({})", id, stateName(record->final_state), record->error.describe());
  }
  if (!r && retry) {
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::seconds(1));
    timer->async_wait([this, timer, record](const boost::system::error_code& ec) {
      if (!ec) submitEndRecord(record);
    });
  } else if (r) {
    if (record->attempts > 1) spdlog::info("task {}: its end is recorded now (after {} tries)", id, record->attempts);
    if (!record->made_blob->empty()) tokens_[record->token.token] = record->token;
    outbox_.committed(*record->event);
    maybeEndInvalidation(t->session);
  }
  if (record->reply && (r || record->attempts == 1)) {
    auto reply = std::exchange(record->reply, {});
    if (!r) return reply(tl::unexpected(r.error()));
    if (record->made_blob->empty() && t->isUpload())
      return reply(fail(errc::invalid_state, "the upload was cancelled without resume data: only a resumable upload (ietf or tus) "
                                             "whose server has named its upload resource can be continued, and not a streamed "
                                             "one; start it again"));
    if (record->made_blob->empty())
      return reply(fail(errc::invalid_state, "no resume data: the server gave no validators or no bytes were written; start again from the URL"));
    reply(*record->made_blob);
  }
}

void TaskManager::checkpointAllForShutdown() {
  for (auto& [id, t] : tasks_) {
    if (!t.in_engine) continue;
    t.in_engine = false;
    if (t.isUpload()) persist(t, store::Durability::lifecycle);  // the server keeps the bytes; the URL is stored
    else checkpoint(t, store::Durability::lifecycle);
  }
}

}  // namespace ferry::daemon
