// TaskManager::transition, the only place a task's phase changes (a test greps for that), and
// the way into the engine: admission, handing over the job, stopping it.
//
// Leaving a phase gives back what the task held there: a queued task's place in admission_, an
// engine job's room in its session's window (which may let the next waiting task in), a
// streamed upload's offered pipe. Entering a phase says where the task waits (waiting_for) and,
// for the phases an attached application cannot otherwise see, tells it (transient task_state).
// A final phase reached from `ending` may complete its session's invalidation.

#include <spdlog/spdlog.h>

#include "daemon/task_manager.hpp"
#include "engine/url_check.hpp"

namespace ferry::daemon {

bool TaskManager::transition(Task& t, Phase to, StopIntent intent) {
  const Phase from = t.phase;
  if (!isLegalTransition(from, to)) {
    spdlog::error("task {}: refused to move from {} to {}; it stays {} (a bug in ferryd: please report it)", t.id,
                  phaseName(from), phaseName(to), phaseName(from));
    return false;
  }
  leavePhase(t, from, to);
  t.phase = to;
  t.stop_intent = to == Phase::stopping ? intent : StopIntent::none;
  enterPhase(t, from);
  return true;
}

void TaskManager::leavePhase(Task& t, Phase from, Phase to) {
  if (from == Phase::queued && to != Phase::in_engine) {
    if (auto place = admissionPlace(t)) admission_.withdraw(*place);
  }
  if (from == Phase::awaiting_body && to != Phase::in_engine) dropBodyStream(t.id);
}

void TaskManager::enterPhase(Task& t, Phase from) {
  switch (t.phase) {
    case Phase::suspended:
      t.waiting_for = "suspended";
      break;
    case Phase::queued:
      t.waiting_for = "queued";
      publishTransient(t, protocol::TaskStateChanged{"running", t.waiting_for});
      break;
    case Phase::held:
      t.waiting_for = std::string(heldBecause(t).value_or("device"));
      publishTransient(t, protocol::TaskStateChanged{"running", t.waiting_for});
      break;
    case Phase::awaiting_body:
      t.waiting_for = "body-stream";
      publishTransient(t, protocol::TaskStateChanged{"running", t.waiting_for});
      break;
    case Phase::in_engine:
      t.waiting_for = "queued";  // until the engine's Waiting or Responded says more
      t.editDetails().last_progress = std::chrono::steady_clock::now();  // a fresh start is not a stall
      t.editDetails().retrying_after_network_error = false;
      break;
    case Phase::stopping:
      if (t.stop_intent == StopIntent::suspend) t.waiting_for = "suspended";
      break;
    case Phase::awaiting_group:
      t.waiting_for = "group";
      break;
    case Phase::created:
    case Phase::restarting:
      break;
    case Phase::ending:
    case Phase::completed:
    case Phase::failed:
    case Phase::cancelled:
      t.waiting_for.clear();
      break;
  }
  // The engine's room is given on last, once this task's own change is complete: the tasks it
  // admits go through transition() themselves.
  if (holdsEngineJob(from) != holdsEngineJob(t.phase)) countEngineJob(holdsEngineJob(t.phase));
  if (holdsEngineJob(from) && !holdsEngineJob(t.phase)) startAdmitted(admission_.left(t.id));
  if ((from == Phase::ending || from == Phase::awaiting_group) && isFinal(t.phase)) maybeEndInvalidation(t.session);
  if (t.group != 0 && (t.phase == Phase::awaiting_group || isFinal(t.phase))) onMemberSettled(t);
}

std::optional<Phase> TaskManager::phaseOf(std::uint64_t id) const {
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return std::nullopt;
  return it->second.phase;
}

// ---------------------------------------------------------------- into the engine

void TaskManager::startEngine(Task& t) {
  if (shutting_down_) return;
  if (auto reason = heldBecause(t)) {  // the machine says not now: it waits in ferryd
    if (t.phase != Phase::held) transition(t, Phase::held);
    return;
  }
  if (auto place = admissionPlace(t); place && !admission_.enter(*place)) {
    transition(t, Phase::queued);
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

void TaskManager::startAdmitted(std::vector<std::uint64_t> ids) {
  if (shutting_down_) return;
  for (std::size_t i = 0; i < ids.size(); ++i) {  // in order: the engine starts them first come, first served
    const auto id = ids[i];
    auto* t = find(id);
    if (t != nullptr && t->phase == Phase::queued && !heldBecause(*t)) {
      handToEngine(*t);
    } else {
      // Not waiting any more (it would have been withdrawn), or held by the machine: give the room on.
      if (t != nullptr && t->phase == Phase::queued) transition(*t, Phase::held);
      auto next = admission_.left(id);
      ids.insert(ids.end(), next.begin(), next.end());
    }
  }
}

// The task's job goes to the engine, which reports from now on (Waiting, Responded, ...).
void TaskManager::handToEngine(Task& t) {
  if (t.isUpload()) return startUploadEngine(t);
  const auto& config = sessions_.config(t.session);
  engine::DownloadJob job;
  job.id = t.id;
  job.group = t.session;
  job.request = t.request;
  job.partial_path = partialPath(t);
  job.resume_offset = t.durable;
  job.validators = t.details().validators;
  // Stored by this ferryd, so well formed; a damaged one starts the file again.
  if (!t.details().durable_segments.empty()) {
    job.segments = model::segmentsFromText(t.details().durable_segments).value_or(engine::Segments{});
    if (job.segments.empty()) job.resume_offset = 0;
  }
  if (!job.segments.empty() || !t.details().segments.empty()) t.editDetails().segments = job.segments;
  job.retry.resource_deadline = engine::WallClock::time_point(std::chrono::seconds(t.resource_deadline));
  job.max_bytes_per_second = config.max_bytes_per_second;
  job.scheduling = t.scheduling;
  job.transport = config.transport;
  if (!transition(t, Phase::in_engine)) return;
  t.written = job.resume_offset;
  t.editDetails().resumed_from_offset = job.resume_offset > 0;
  t.editDetails().last_checkpoint = std::chrono::steady_clock::now();
  engine_.start(std::move(job));
}

void TaskManager::stopInEngine(Task& t, StopIntent intent) {
  const bool stop_sent = t.phase == Phase::stopping;
  if (!transition(t, Phase::stopping, intent)) return;
  if (!stop_sent) engine_.stop(t.id);
}

}  // namespace ferry::daemon
