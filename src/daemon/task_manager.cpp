#include "daemon/task_manager.hpp"

// TaskManager: start-up restore, session configurations and invalidation, lists and counts,
// acknowledged events, and the small helpers its other files share (task_manager.hpp lists them).

#include <algorithm>
#include <memory>

#include <spdlog/spdlog.h>

#include "common/files.hpp"
#include "common/url_file_name.hpp"

namespace ferry::daemon {
namespace {

using Json = protocol::Json;

}  // namespace

TaskManager::TaskManager(boost::asio::io_context& io, DurableWrites& writer, TransferEngine& engine,
                         SessionBook& sessions, EventOutbox& outbox, const ResumeDataCodec& codec, std::filesystem::path state_dir,
                         std::chrono::milliseconds checkpoint_interval)
    : io_(io),
      writer_(writer),
      engine_(engine),
      sessions_(sessions),
      outbox_(outbox),
      codec_(codec),
      state_dir_(std::move(state_dir)),
      checkpoint_interval_(checkpoint_interval) {}

// ---------------------------------------------------------------- start-up

void TaskManager::restore(store::Snapshot& snapshot) {
  for (const auto& e : snapshot.events)
    if (e.type == protocol::event::did_become_invalid) invalidation_queued_.insert(e.session);
  for (const auto& [session, config] : sessions_.all()) {
    engine_.setGroupLimits(session, {config.max_concurrent, config.max_per_host});
    admission_.setLimits(session, config.max_concurrent, config.max_per_host);
  }
  last_task_id_ = snapshot.max_task_id;
  for (const auto& token : snapshot.resume_tokens) tokens_[token.token] = token;
  restoreGroups(snapshot);
  restoring_ = true;
  for (auto& row : snapshot.tasks) {
    auto task = Task::fromRow(std::move(row));
    if (!task) {
      spdlog::error("task {} cannot be restored: {}", row.id, task.error().describe());
      continue;
    }
    last_task_id_ = std::max(last_task_id_, task->id);
    if (auto* g = findGroup(task->group); g != nullptr && !isFinal(g->state)) g->members.push_back(task->id);
    restoreTask(tasks_.emplace(task->id, std::move(*task)).first->second);
  }
  restoring_ = false;
  settleRestoredGroups();
  restoreMetrics(snapshot.events);
  for (const auto& session : sessions_.invalidating()) maybeEndInvalidation(session);
}

// An ended task's metrics live on in its stored didComplete (until the application has it): read
// them back, so that a restarted ferryd lists them too. No column of their own, no migration.
void TaskManager::restoreMetrics(const std::vector<store::EventRow>& events) {
  for (const auto& e : events) {
    if (e.type != protocol::event::did_complete) continue;
    Task* t = find(e.task_id);
    if (t == nullptr) continue;
    const auto payload = protocol::Json::parse(e.payload_json, nullptr, false);
    if (!payload.is_object()) continue;
    auto complete = protocol::DidComplete::decode(payload);
    if (complete && complete->metrics) t->addMetrics(*complete->metrics);
  }
}

// Where a stored task goes: its final phase, suspended, or back to running. A task whose row says
// suspended with nothing suspending it (it was resumed while its stop was in flight) runs.
void TaskManager::restoreTask(Task& t) {
  if (auto final_phase = finalPhaseOf(t.stored_state)) {
    transition(t, *final_phase);
    return;
  }
  if (t.stored_state == TaskState::suspended && t.suspend_count > 0) {
    transition(t, Phase::suspended);
    return;
  }
  // A group's member with all its bytes synced: it waits for its group (task_group.hpp).
  if (t.group != 0 && t.stored_state == TaskState::finalizing) {
    transition(t, Phase::awaiting_group);
    return;
  }
  if (t.isUpload()) {
    // Nothing to cut back: the server knows how many bytes it has (HEAD when a URL is stored).
    spdlog::info("task {}: resuming the upload{}", t.id, t.upload->upload_url.empty() ? " from byte 0" : " at the server's offset");
    return startEngine(t);
  }
  // Bytes past the durable offset were never promised: cut them off before resuming. From 0 the
  // engine's first attempt cuts the file itself (a stat per queued task was an eighth of the
  // start-up with 200,000 of them).
  if (t.durable == 0) return startEngine(t);
  auto size = files::fileSize(partialPath(t));
  if (!t.details().durable_segments.empty()) return resumeSegments(t, size);
  if (!size || *size < t.durable) {
    if (t.durable > 0) spdlog::warn("task {}: partial file shorter than its durable offset; starting again", t.id);
    t.durable = 0;
    t.editDetails().validators = {};
  } else if (auto cut = files::truncateTo(partialPath(t), t.durable); !cut) {
    spdlog::warn("task {}: {}; starting again", t.id, cut.error().describe());
    t.durable = 0;
  }
  spdlog::info("task {}: resuming at durable offset {}", t.id, t.durable);
  startEngine(t);
}

// A segmented download's bytes are where its segments say, in a file of the entity's length:
// nothing is cut; a file of another length (or damaged segments) starts again from zero.
void TaskManager::resumeSegments(Task& t, const Result<std::uint64_t>& size) {
  TaskDetails& d = t.editDetails();
  const auto segments = model::segmentsFromText(d.durable_segments);
  if (!segments || segments->empty() || !size || *size != segments->back().end) {
    spdlog::warn("task {}: partial file does not match its segments; starting again", t.id);
    t.durable = 0;
    d.durable_segments.clear();
    d.validators = {};
  } else {
    spdlog::info("task {}: resuming {} segments with {} durable bytes", t.id, segments->size(), t.durable);
  }
  startEngine(t);
}

void TaskManager::setSessionConfig(const std::string& session, const protocol::SessionConfig& config) {
  sessions_.configure(session, config);
  engine_.setGroupLimits(session, {config.max_concurrent, config.max_per_host});
  admission_.setLimits(session, config.max_concurrent, config.max_per_host);
  startAdmitted(admission_.admitWaiting(session));
}

// ---------------------------------------------------------------- invalidation

void TaskManager::invalidate(const std::string& session, bool cancel_tasks, std::function<void(Result<void>)> done) {
  // The reply waits for the mark to be durable: a crash after it keeps the session invalidating.
  if (sessions_.markInvalidating(session, onIo(std::move(done))))
    spdlog::info("session {}: invalidating{}", session, cancel_tasks ? " and cancelling its tasks" : " once its tasks end");
  if (cancel_tasks) cancelAll(session);
  maybeEndInvalidation(session);
}

void TaskManager::maybeEndInvalidation(const std::string& session) {
  if (!sessions_.isInvalidating(session) || invalidation_queued_.count(session) != 0) return;
  for (const auto& [id, t] : tasks_)
    if (t.session == session && !isFinal(t.phase)) return;
  for (const auto& [id, g] : groups_)  // didCompleteGroup comes before didBecomeInvalid
    if (g.session == session && !isFinal(g.state)) return;
  invalidation_queued_.insert(session);
  appendEvents({outbox_.prepare(session, 0, protocol::DidBecomeInvalid{})});
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

void TaskManager::publishTransient(const Task& t, const protocol::Event& event) {
  outbox_.transient(t.session, t.id, event);
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

// ---------------------------------------------------------------- lists

std::vector<protocol::TaskInfo> TaskManager::list(const std::optional<std::string>& session) const {
  std::vector<protocol::TaskInfo> out;
  for (const auto& [id, t] : tasks_)
    if (!session || t.session == *session) out.push_back(t.toInfo());
  return out;
}

std::map<std::string, int> TaskManager::countByState() const {
  std::map<std::string, int> counts;
  for (const auto& [id, t] : tasks_) ++counts[std::string(stateName(t.state()))];
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

void TaskManager::onEventsAcked(const std::vector<store::EventRow>& rows) {
  // A delivered file the application did not move goes away, as in URLSession — but only once
  // the acknowledgement is committed: if ferryd dies before that, the event is delivered again
  // and must still find its file.
  std::vector<std::filesystem::path> unmoved;
  std::vector<std::uint64_t> seqs;
  std::vector<std::uint64_t> forgotten;
  std::vector<std::uint64_t> forgotten_groups;
  for (const auto& row : rows) {
    seqs.push_back(row.seq);
    if (auto* t = find(row.task_id); row.type == protocol::event::did_finish_downloading_to && t != nullptr && t->destination.empty())
      unmoved.push_back(deliveredPath(*t));
    if (row.type == protocol::event::did_become_invalid) {
      // The application knows: forget the session, so that its identifier starts afresh.
      invalidation_queued_.erase(row.session);
      sessions_.forget(row.session);
      spdlog::info("session {}: invalid; forgotten", row.session);
      continue;
    }
    if (row.type == protocol::event::did_complete_group) {
      forgotten_groups.push_back(row.task_id);
      forgetGroup(row.task_id, forgotten);
      continue;
    }
    // A group's member goes with its group (its list shows the members until then).
    auto* t = find(row.task_id);
    if (t != nullptr && isFinal(t->phase) && !outbox_.hasPending(t->session, t->id) && !isGroup(t->group)) {
      forgotten.push_back(t->id);
      tasks_.erase(t->id);
    }
  }
  // One writer item for the lot; the removals run on the writer's thread after the commit: the
  // IPC thread does no file I/O.
  writer_.submit(
      store::Durability::progress,
      [seqs, forgotten, forgotten_groups](store::Store& s) -> Result<void> {
        for (auto seq : seqs)
          if (auto d = s.deleteEvent(seq); !d) return d;
        for (auto id : forgotten)
          if (auto d = s.deleteTask(id); !d) return d;
        for (auto id : forgotten_groups)
          if (auto d = s.deleteGroup(id); !d) return d;
        return {};
      },
      [unmoved](Result<void> r) {
        std::error_code ec;
        if (r)
          for (const auto& path : unmoved) std::filesystem::remove(path, ec);
      });
}

}  // namespace ferry::daemon
