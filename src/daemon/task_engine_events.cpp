// TaskManager's handling of the engine's events (the upload-only ones: task_manager_uploads.cpp),
// its checkpoints (the durable offset), and the landing of a stop (onStopped).
//
// Durability (docs/architecture.md): a download's durable offset moves only after fdatasync of
// its partial file succeeded; a failed fdatasync cuts the task back to its last durable offset
// (engine.restartFrom), it is never retried and trusted.

#include <spdlog/spdlog.h>

#include "common/files.hpp"
#include "common/overloaded.hpp"
#include "daemon/task_manager.hpp"

namespace ferry::daemon {

void TaskManager::onEngineEvents(const std::vector<engine::Event>& events) {
  in_engine_turn_ = true;
  for (const auto& e : events) onEngineEvent(e);
  in_engine_turn_ = false;
  // Checkpoints first: a task whose Progress and Finished came in one turn has its partial file
  // synced before the delivery renames it.
  submitCheckpoints(std::exchange(gathered_checkpoints_, {}), store::Durability::progress);
  submitDeliveries();
}

void TaskManager::onEngineEvent(const engine::Event& event) {
  auto* t = find(engine::taskOf(event));
  if (t == nullptr || !holdsEngineJob(t->phase)) return;
  std::visit(Overloaded{
                 [&](const engine::Waiting& w) {
                   if (t->phase != Phase::in_engine) return;
                   t->waiting_for = w.reason;
                   publishTransient(*t, protocol::TaskStateChanged{"running", w.reason});
                 },
                 [&](const engine::Responded& r) { t->isUpload() ? onUploadResponded(*t, r) : onResponded(*t, r); },
                 [&](const engine::Progress& p) {
                   if (!t->isUpload()) onProgress(*t, p);
                 },
                 [&](const engine::Retrying& r) {
                   ++t->editDetails().retries;
                   t->editDetails().retrying_after_network_error = r.error.is(errc::network) || r.error.is(errc::timeout);
                   spdlog::info("task {}: attempt {} failed ({}); retrying", t->id, r.attempt, r.error.describe());
                 },
                 [&](const engine::Finished& f) {
                   t->addMetrics(f.metrics);
                   t->isUpload() ? onUploadFinished(*t, f) : onFinished(*t, f);
                 },
                 // Upload-only events (task_manager_uploads.cpp, task_manager_redirects.cpp).
                 [&](const engine::SendProgress& p) {
                   if (t->isUpload()) onSendProgress(*t, p);
                 },
                 [&](const engine::UploadResourceKnown& k) {
                   if (t->isUpload()) onUploadResourceKnown(*t, k);
                 },
                 [&](const engine::UploadRestarted& r) {
                   if (t->isUpload()) onUploadRestarted(*t, r);
                 },
                 [&](const engine::RedirectProposed& r) {
                   if (t->isUpload()) onRedirectProposed(*t, r);
                 },
                 [&](const engine::MirrorDropped& m) {
                   spdlog::warn("task {}: mirror {} dropped: {}", t->id, m.url, m.reason);
                 },
             },
             event);
}

void TaskManager::onResponded(Task& t, const engine::Responded& r) {
  if (t.phase == Phase::in_engine) t.waiting_for.clear();
  bool restarted = r.offset < t.written || (r.offset == 0 && t.durable > 0);
  TaskDetails& d = t.editDetails();
  bool report = d.resumed_from_offset || (restarted && t.written > 0);
  d.resumed_from_offset = false;
  if (r.offset < t.durable || r.validators != d.validators) ++d.generation;
  d.validators = r.validators;
  if (r.expected_total) t.expected_total = r.expected_total;
  t.editDetails().http_status = r.status;
  t.written = r.offset;
  if (!r.single_connection_reason.empty())
    spdlog::info("task {}: one connection instead of {}: {}", t.id, t.request.connections, r.single_connection_reason);
  if (t.durable > r.offset) {
    // The server sent a different entity: the old durable bytes are void. Say so durably now.
    t.durable = r.offset;
    if (!d.segments.empty() || !d.durable_segments.empty()) {
      d.segments.clear();
      d.durable_segments.clear();
    }
    writer_.submit(store::Durability::lifecycle,
                   [id = t.id, off = r.offset, exp = t.expected_total, v = d.validators](store::Store& s) {
                     return s.updateTaskOffset(id, off, exp, v.etag, v.last_modified);
                   });
  }
  if (report) appendEvents({outbox_.prepare(t.session, t.id, protocol::DidResumeAtOffset{r.offset, t.expected_total})});
}

void TaskManager::onProgress(Task& t, const engine::Progress& p) {
  t.written = p.total_written;
  if (!p.segments.empty() || !t.details().segments.empty()) t.editDetails().segments = p.segments;
  t.editDetails().last_progress = std::chrono::steady_clock::now();
  rates_[t.session].add(p.bytes_written);
  if (p.expected_total) t.expected_total = p.expected_total;
  publishTransient(t, protocol::DidWriteData{p.bytes_written, p.total_written, t.expected_total});
  if (t.group != 0) publishGroupProgress(t);
  if (!t.details().checkpoint_in_flight && std::chrono::steady_clock::now() - t.details().last_checkpoint >= checkpoint_interval_)
    checkpoint(t, store::Durability::progress);
}

void TaskManager::checkpoint(Task& t, store::Durability durability) {
  TaskDetails& d = t.editDetails();
  d.checkpoint_in_flight = true;
  d.last_checkpoint = std::chrono::steady_clock::now();
  Checkpoint c{t.id, t.written, d.generation, d.validators, t.expected_total, partialPath(t),
               d.segments.empty() ? std::string() : model::segmentsToText(d.segments)};
  // Those of one engine turn go together: with a thousand transfers running, a thousand
  // checkpoints a second each made their own fdatasync, one after another on the writer.
  if (in_engine_turn_ && durability == store::Durability::progress) return gathered_checkpoints_.push_back(std::move(c));
  submitCheckpoints({std::move(c)}, durability);
}

// One writer item for the group: the partial files' fdatasyncs side by side (files::syncDataAll),
// then each offset in its own savepoint. Each checkpoint keeps its own result.
void TaskManager::submitCheckpoints(std::vector<Checkpoint> group, store::Durability durability) {
  if (group.empty()) return;
  auto checkpoints = std::make_shared<std::vector<Checkpoint>>(std::move(group));
  auto results = std::make_shared<std::vector<Result<void>>>(checkpoints->size());
  writer_.submit(
      durability,
      [checkpoints, results](store::Store& s) -> Result<void> {
        std::vector<std::filesystem::path> paths;
        std::vector<std::size_t> synced_ones;
        for (std::size_t i = 0; i < checkpoints->size(); ++i) {
          if ((*checkpoints)[i].offset == 0) continue;  // nothing written: nothing to sync
          // (A segmented file's bytes are anywhere in it, and fdatasync takes them all.)
          paths.push_back((*checkpoints)[i].path);
          synced_ones.push_back(i);
        }
        auto synced = files::syncDataAll(paths);
        for (std::size_t k = 0; k < synced.size(); ++k) (*results)[synced_ones[k]] = synced[k];
        for (std::size_t i = 0; i < checkpoints->size(); ++i) {
          if (!(*results)[i]) continue;
          const auto& c = (*checkpoints)[i];
          (*results)[i] = store::Writer::runInSavepoint(s, [&c](store::Store& st) {
            return st.updateTaskOffset(c.id, c.offset, c.expected_total, c.validators.etag, c.validators.last_modified,
                                       c.segments);
          });
          if (!(*results)[i] && !s.inTransaction()) return (*results)[i];  // SQLite gave the transaction up
        }
        return {};
      },
      onIo([this, checkpoints, results](Result<void> r) {
        for (std::size_t i = 0; i < checkpoints->size(); ++i) checkpointDone((*checkpoints)[i], r ? (*results)[i] : r);
      }));
}

void TaskManager::checkpointDone(const Checkpoint& c, const Result<void>& r) {
  auto* t = find(c.id);
  if (t == nullptr) return;
  t->editDetails().checkpoint_in_flight = false;
  if (r) {
    // Segments: the same sum may come with other ranges (a steal moved an end), so equal counts too.
    TaskDetails& d = t->editDetails();
    if (d.generation == c.generation && (c.offset > t->durable || (c.offset == t->durable && !c.segments.empty()))) {
      t->durable = c.offset;
      d.durable_segments = c.segments;
    }
    return;
  }
  // A failed fdatasync is never retried and trusted: the bytes after the last durable offset are
  // refetched.
  spdlog::error("task {}: could not make bytes durable ({}); refetching from offset {}", c.id, r.error().describe(),
                t->durable);
  ++t->editDetails().generation;
  t->written = t->durable;
  if (t->phase == Phase::in_engine) engine_.restartFrom(c.id, t->durable);
}

void TaskManager::onFinished(Task& t, const engine::Finished& f) {
  t.written = f.total_written;
  if (!f.segments.empty() || !t.details().segments.empty()) t.editDetails().segments = f.segments;
  if (!f.validators.empty()) t.editDetails().validators = f.validators;
  if (f.expected_total) t.expected_total = f.expected_total;
  if (f.http_status != 0) t.editDetails().http_status = f.http_status;
  if (t.phase == Phase::stopping) return onStopped(t);
  if (!f.error || f.error->is(errc::http_error)) {
    t.editDetails().error = f.error;
    return t.group != 0 ? holdForGroup(t) : deliverFile(t);
  }
  endTask(t, Phase::failed, *f.error, f.resumable);
}

// The engine answered a stop (or, at shutdown, will not: the same then happens without it).
void TaskManager::onStopped(Task& t) {
  switch (t.stop_intent) {
    case StopIntent::cancel:
      return endTask(t, Phase::cancelled, cancelledError(t, false), false);
    case StopIntent::cancel_with_resume_data:
      return endTask(t, Phase::cancelled, cancelledError(t, true), true, std::exchange(t.editDetails().on_resume_data, {}));
    case StopIntent::suspend:
    case StopIntent::none:
      transition(t, Phase::suspended);
      break;
    case StopIntent::resume:
      transition(t, Phase::restarting);
      break;
    case StopIntent::hold:  // the machine's state: it waits, from the checkpoint below
      transition(t, Phase::held);
      break;
    case StopIntent::shutdown:
      break;  // stays stopping: its row says running, so the next start resumes it
  }
  if (t.isUpload()) persist(t, store::Durability::lifecycle);
  else checkpoint(t, store::Durability::lifecycle);
  if (t.phase == Phase::restarting) restartOnceDurable(t);
}

// Resumed while its stop's checkpoint is being committed: continue from the durable offset that
// checkpoint makes, not from the one before it (which would fetch those bytes again).
void TaskManager::restartOnceDurable(Task& t) {
  if (t.phase != Phase::restarting) transition(t, Phase::restarting);
  writer_.submit(store::Durability::progress, [](store::Store&) -> Result<void> { return {}; },
                 onIo([this, id = t.id](Result<void>) {
                   auto* task = find(id);
                   if (task && task->phase == Phase::restarting) startEngine(*task);
                 }));
}

void TaskManager::checkpointAllForShutdown() {
  shutting_down_ = true;
  for (auto& [id, t] : tasks_) {
    if (t.phase == Phase::in_engine) stopInEngine(t, StopIntent::shutdown);
    if (t.phase == Phase::stopping) onStopped(t);
  }
}

}  // namespace ferry::daemon
