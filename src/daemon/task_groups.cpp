// TaskManager's download groups (task_group.hpp has the rules): creation, the members' waits,
// the one commit that puts every file in place, failure and cancellation, the commands on a
// group, progress and lists, and start-up.

#include <spdlog/spdlog.h>

#include "common/files.hpp"
#include "daemon/failpoint.hpp"
#include "daemon/task_ending.hpp"
#include "daemon/task_manager.hpp"

namespace ferry::daemon {
namespace {

std::string groupIs(const TaskGroup& g, std::string_view what) {
  return "group " + std::to_string(g.id) + " ('" + g.name + "') is " + std::string(what);
}

// How often a group's progress goes out, at most (its members' didWriteData go out as they come).
constexpr auto kGroupProgressInterval = std::chrono::milliseconds(100);

}  // namespace

// Every member's delivery (its file and its rows), the group's row and didCompleteGroup: one
// writer item, retried every second while the disk refuses; a delivery keeps where its file went,
// so a retry does not move it again.
struct TaskManager::GroupCommit {
  std::uint64_t group = 0;
  std::vector<std::shared_ptr<TaskEnding>> deliveries;
  store::GroupRow row;
  store::EventRow event;
  int attempts = 0;
};

// ---------------------------------------------------------------- creation

void TaskManager::createGroup(NewGroup spec, GroupReply reply) {
  TaskGroup g;
  g.id = ++last_task_id_;
  g.session = spec.session;
  g.name = spec.name;
  g.description = spec.description;
  g.created_at = unixSecondsNow();
  auto made = std::make_shared<std::vector<Creation>>();
  const auto undo = [this, made] {
    for (const auto& c : *made) (void)settleCreation(c, fail(errc::invalid_argument, "the group was refused"));
  };
  for (std::size_t i = 0; i < spec.files.size(); ++i) {
    NewDownload& file = spec.files[i];
    file.session = spec.session;
    file.start = spec.start;
    file.scheduling = spec.scheduling;
    file.group = g.id;
    if (file.destination.empty()) {
      undo();
      return reply(fail(errc::invalid_argument, "tasks[" + std::to_string(i) + "]: every file of a group needs a destination"));
    }
    auto creation = makeDownload(std::move(file));
    if (!creation) {
      undo();
      return reply(fail(creation.error().code, "tasks[" + std::to_string(i) + "]: " + creation.error().message));
    }
    g.members.push_back(creation->id);
    made->push_back(std::move(*creation));
  }
  std::vector<store::Writer::Work> works;
  for (auto& c : *made) works.push_back(std::move(c.work));
  const auto row = g.toRow(groupInfo(g));
  const std::uint64_t id = g.id;
  groups_.emplace(id, std::move(g));
  spdlog::info("group {} ('{}') of session {}: {} files", id, spec.name, spec.session, works.size());
  writer_.submit(
      store::Durability::lifecycle,
      [works = std::move(works), row](store::Store& s) -> Result<void> {
        if (auto n = s.noteTaskId(row.id); !n) return n;
        if (auto u = s.upsertGroup(row); !u) return u;
        for (std::size_t i = 0; i < works.size(); ++i)
          if (auto r = works[i](s); !r) return fail(r.error().code, "tasks[" + std::to_string(i) + "]: " + r.error().message);
        return {};
      },
      onIo([this, made, id, reply](Result<void> r) {
        for (const auto& c : *made) (void)settleCreation(c, r);
        if (!r) {
          groups_.erase(id);
          return reply(tl::unexpected(r.error()));
        }
        if (auto* group = findGroup(id)) reply(groupInfo(*group));
      }),
      store::Commit::prompt);
}

// ---------------------------------------------------------------- members

void TaskManager::holdForGroup(Task& t) {
  if (const auto& http_error = t.details().error) return endTask(t, Phase::failed, *http_error, false);
  if (!transition(t, Phase::ending)) return;
  auto ending = std::make_shared<TaskEnding>();
  ending->final_phase = Phase::awaiting_group;
  store::TaskRow row = t.toRow();
  row.state = std::string(stateName(TaskState::finalizing));
  row.durable_offset = t.written;
  ending->work = [row, partial = partialPath(t), untrusted = ending->bytes_untrusted](store::Store& s) -> Result<void> {
    if (auto synced = files::syncData(partial); !synced) {
      *untrusted = true;
      return synced;
    }
    return s.upsertTask(row);
  };
  ending->on_committed = [](Task& task) {
    task.durable = task.written;
    spdlog::info("task {}: {} bytes downloaded; waits for the other files of group {}", task.id, task.written, task.group);
  };
  commitEnding(t, std::move(ending));
}

void TaskManager::onMemberSettled(Task& t) {
  if (restoring_) return;  // settleRestoredGroups looks at every group once all are back
  auto* g = findGroup(t.group);
  if (g == nullptr || isFinal(g->state)) return;
  if (t.phase == Phase::awaiting_group) {
    if (g->state == GroupState::failing || g->state == GroupState::cancelling) return stopMember(*g, t);
    return commitGroupIfComplete(*g);
  }
  if (g->state == GroupState::running && t.phase != Phase::completed) return failGroup(*g, t);
  if (g->state == GroupState::failing || g->state == GroupState::cancelling) scheduleGroupEnd(g->id);
}

// ---------------------------------------------------------------- the commit

void TaskManager::commitGroupIfComplete(TaskGroup& g) {
  if (g.state != GroupState::running) return;
  for (auto member : g.members) {
    const auto* t = find(member);
    if (t == nullptr || t->phase != Phase::awaiting_group) return;
  }
  g.state = GroupState::committing;
  auto commit = std::make_shared<GroupCommit>();
  commit->group = g.id;
  for (auto member : g.members) commit->deliveries.push_back(makeDelivery(*find(member)));
  protocol::GroupInfo info = groupInfo(g);
  info.state = std::string(groupStateName(GroupState::completed));
  info.progress.files_done = info.progress.files_total;
  g.state = GroupState::completed;
  commit->row = g.toRow(info);
  g.state = GroupState::committing;
  commit->event = outbox_.prepare(g.session, g.id, protocol::DidCompleteGroup{info, std::nullopt});
  spdlog::info("group {}: all {} files downloaded; putting them in place", g.id, g.members.size());
  submitGroupCommit(std::move(commit));
}

void TaskManager::submitGroupCommit(std::shared_ptr<GroupCommit> commit) {
  writer_.submit(
      store::Durability::lifecycle,
      [commit](store::Store& s) -> Result<void> {
        std::error_code ec;
        for (auto& ending : commit->deliveries) {
          auto& d = *ending->delivery;
          if (!d.location.empty()) continue;
          // Renamed before ferryd stopped (the rows were not committed yet): it is in place.
          if (!std::filesystem::exists(d.partial, ec) && std::filesystem::exists(d.wanted, ec)) d.location = d.wanted.string();
          else if (auto placed = placeFile(d); !placed) return placed;
          failpointReached("group-rename");
        }
        std::map<std::filesystem::path, bool> directories;
        for (auto& ending : commit->deliveries) directories[files::directoryOf(ending->delivery->location)] = true;
        for (const auto& [dir, unused] : directories)
          if (auto synced = files::syncDirectory(dir); !synced) return synced;
        for (auto& ending : commit->deliveries) {
          ending->delivery->directory_synced = true;
          if (auto r = ending->record(s); !r) return r;
        }
        if (auto u = s.upsertGroup(commit->row); !u) return u;
        return s.appendEvent(commit->event);
      },
      onIo([this, commit](Result<void> r) { onGroupCommitted(commit, r); }), store::Commit::prompt);
}

void TaskManager::onGroupCommitted(std::shared_ptr<GroupCommit> commit, const Result<void>& r) {
  auto* g = findGroup(commit->group);
  if (g == nullptr) return;
  if (!r) {
    if (++commit->attempts == 1)
      spdlog::error("group {}: could not put its files in place: {}; trying again every second", g->id, r.error().describe());
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, std::chrono::seconds(1));
    timer->async_wait([this, timer, commit](const boost::system::error_code& ec) {
      if (!ec) submitGroupCommit(commit);
    });
    return;
  }
  for (auto& ending : commit->deliveries) {
    auto* t = find(ending->id);
    if (t == nullptr) continue;
    if (ending->on_committed) ending->on_committed(*t);
    for (const auto& e : *ending->events) outbox_.committed(e);
    transition(*t, Phase::completed);
  }
  g->final_progress = groupProgress(*g);
  g->state = GroupState::completed;
  outbox_.committed(commit->event);
  spdlog::info("group {} ('{}'): completed, {} files in place", g->id, g->name, g->members.size());
  maybeEndInvalidation(g->session);
}

// ---------------------------------------------------------------- failure and cancellation

void TaskManager::failGroup(TaskGroup& g, const Task& cause) {
  g.state = GroupState::failing;
  const Error why = cause.details().error.value_or(Error(errc::cancelled, "it was cancelled"));
  g.failures.push_back({cause.id, cause.request.url, cause.destination, why});
  g.error = Error(why.code, "file " + cause.destination + " (" + cause.request.url + ") failed: " + why.message +
                                "; no file of group '" + g.name + "' was put in place");
  spdlog::warn("group {}: {}", g.id, g.error->message);
  for (auto member : g.members)
    if (auto* t = find(member); t != nullptr && !isFinal(t->phase) && t->phase != Phase::ending) stopMember(g, *t);
  scheduleGroupEnd(g.id);
}

// The member ends cancelled, its partial file removed or (the group's resume data) kept.
void TaskManager::stopMember(TaskGroup& g, Task& t) {
  if (!g.keep_resume_data) return (void)cancel(t.id, std::nullopt);
  std::size_t index = 0;
  while (index < g.members.size() && g.members[index] != t.id) ++index;
  cancelWithResumeData(t.id, std::nullopt, [this, group = g.id, index](Result<std::string> blob) {
    auto* found = findGroup(group);
    if (found != nullptr && blob && index < found->resume_entries.size()) found->resume_entries[index].resume_data = *blob;
  });
}

// After the answers of the members' cancels (they run after the member's final phase).
void TaskManager::scheduleGroupEnd(std::uint64_t id) {
  boost::asio::post(io_, [this, id] {
    auto* g = findGroup(id);
    if (g == nullptr || (g->state != GroupState::failing && g->state != GroupState::cancelling)) return;
    for (auto member : g->members)
      if (const auto* t = find(member); t != nullptr && !isFinal(t->phase)) return;
    endGroup(*g);
  });
}

void TaskManager::endGroup(TaskGroup& g) {
  g.final_progress = groupProgress(g);
  g.state = g.state == GroupState::cancelling ? GroupState::cancelled : GroupState::failed;
  if (g.keep_resume_data) g.resume_blob = protocol::encodeGroupResumeData({g.name, g.description, g.resume_entries});
  const auto info = groupInfo(g);
  const auto row = g.toRow(info);
  const auto event = outbox_.prepare(g.session, g.id, protocol::DidCompleteGroup{info, g.resume_blob});
  spdlog::info("group {} ('{}'): {}", g.id, g.name, groupStateName(g.state));
  writer_.submit(
      store::Durability::lifecycle,
      [row, event](store::Store& s) -> Result<void> {
        if (auto u = s.upsertGroup(row); !u) return u;
        return s.appendEvent(event);
      },
      onIo([this, event, id = g.id](Result<void> r) {
        auto* group = findGroup(id);
        if (!r) spdlog::error("group {}: could not record its end: {}", id, r.error().describe());
        else outbox_.committed(event);
        maybeEndInvalidation(event.session);
        if (group == nullptr || !group->on_resume_data) return;
        auto answer = std::exchange(group->on_resume_data, {});
        if (!r) return answer(tl::unexpected(r.error()));
        answer(*group->resume_blob);
      }),
      store::Commit::prompt);
}

// ---------------------------------------------------------------- commands

std::optional<Error> TaskManager::groupRefuses(const TaskGroup& g, std::string_view verb) const {
  if (isFinal(g.state)) return Error(errc::invalid_state, groupIs(g, groupStateName(g.state)) + "; it cannot be " + std::string(verb));
  if (g.state == GroupState::committing)
    return Error(errc::invalid_state, groupIs(g, "putting its files in place") + "; it cannot be " + std::string(verb));
  if (g.state != GroupState::running) return Error(errc::invalid_state, groupIs(g, "ending") + "; it cannot be " + std::string(verb));
  return std::nullopt;
}

bool TaskManager::groupCommitting(std::uint64_t group) const {
  auto it = groups_.find(group);
  return it != groups_.end() && it->second.state == GroupState::committing;
}

Result<TaskGroup*> TaskManager::runningGroup(std::uint64_t id, const std::optional<std::string>& scope, std::string_view verb) {
  auto found = findGroupScoped(id, scope);
  if (!found) return found;
  if (auto refused = groupRefuses(**found, verb)) return tl::unexpected(*refused);
  return found;
}

Result<protocol::GroupInfo> TaskManager::suspendGroup(std::uint64_t id, const std::optional<std::string>& scope) {
  auto found = runningGroup(id, scope, "suspended");
  if (!found) return tl::unexpected(found.error());
  auto& g = **found;
  for (auto member : g.members)
    if (auto* t = find(member); t != nullptr && !isFinal(t->phase) && t->phase != Phase::ending && t->phase != Phase::awaiting_group)
      (void)suspend(member, std::nullopt);
  return groupInfo(g);
}

Result<protocol::GroupInfo> TaskManager::resumeGroup(std::uint64_t id, const std::optional<std::string>& scope) {
  auto found = runningGroup(id, scope, "resumed");
  if (!found) return tl::unexpected(found.error());
  auto& g = **found;
  for (auto member : g.members)
    if (auto* t = find(member); t != nullptr && t->suspend_count > 0 && !isFinal(t->phase) && t->phase != Phase::ending)
      (void)resume(member, std::nullopt);
  return groupInfo(g);
}

Result<protocol::GroupInfo> TaskManager::cancelGroup(std::uint64_t id, const std::optional<std::string>& scope) {
  auto found = findGroupScoped(id, scope);
  if (!found) return tl::unexpected(found.error());
  auto& g = **found;
  if (g.state == GroupState::cancelling || g.state == GroupState::failing) return groupInfo(g);
  if (auto refused = groupRefuses(g, "cancelled")) return tl::unexpected(*refused);
  g.state = GroupState::cancelling;
  g.error = Error(errc::cancelled, "group '" + g.name + "' was cancelled; no file of it was put in place");
  for (auto member : g.members)
    if (auto* t = find(member); t != nullptr && !isFinal(t->phase) && t->phase != Phase::ending) stopMember(g, *t);
  scheduleGroupEnd(g.id);
  return groupInfo(g);
}

void TaskManager::cancelGroupWithResumeData(std::uint64_t id, const std::optional<std::string>& scope, ResumeDataReply reply) {
  auto found = runningGroup(id, scope, "cancelled");
  if (!found) return reply(tl::unexpected(found.error()));
  auto& g = **found;
  g.keep_resume_data = true;
  g.on_resume_data = std::move(reply);
  // A member that leaves no resume data starts again from its URL.
  for (auto member : g.members)
    if (const auto* t = find(member)) g.resume_entries.push_back({t->request, t->destination, std::nullopt});
  (void)cancelGroup(id, scope);
}

// ---------------------------------------------------------------- what the application sees

protocol::GroupProgress TaskManager::groupProgress(const TaskGroup& g) const {
  protocol::GroupProgress p;
  p.files_total = g.members.size();
  std::uint64_t expected = 0;
  bool all_known = true;
  for (auto member : g.members) {
    auto it = tasks_.find(member);
    if (it == tasks_.end()) continue;
    const Task& t = it->second;
    if (t.phase == Phase::awaiting_group || t.phase == Phase::completed) ++p.files_done;
    p.bytes_written += std::max(t.written, t.durable);
    if (t.expected_total) expected += *t.expected_total;
    else all_known = false;
  }
  if (all_known) p.bytes_expected = expected;
  return p;
}

std::string TaskManager::groupWireState(const TaskGroup& g) const {
  if (isFinal(g.state)) return std::string(groupStateName(g.state));
  if (g.state != GroupState::running) return std::string(stateName(TaskState::finalizing));
  std::size_t done = 0;
  std::size_t suspended = 0;
  for (auto member : g.members) {
    auto it = tasks_.find(member);
    if (it == tasks_.end()) continue;
    if (it->second.phase == Phase::awaiting_group) ++done;
    else if (it->second.state() == TaskState::suspended) ++suspended;
  }
  if (done == g.members.size()) return std::string(stateName(TaskState::finalizing));
  if (suspended > 0 && suspended + done == g.members.size()) return std::string(stateName(TaskState::suspended));
  return std::string(stateName(TaskState::running));
}

protocol::GroupInfo TaskManager::groupInfo(const TaskGroup& g) const {
  protocol::GroupInfo info;
  info.id = g.id;
  info.session = g.session;
  info.name = g.name;
  info.description = g.description;
  info.state = groupWireState(g);
  info.tasks = g.members;
  info.progress = isFinal(g.state) ? g.final_progress : groupProgress(g);
  info.error = g.error;
  info.failures = g.failures;
  info.created_at = g.created_at;
  return info;
}

std::vector<protocol::GroupInfo> TaskManager::listGroups(const std::optional<std::string>& session) const {
  std::vector<protocol::GroupInfo> out;
  for (const auto& [id, g] : groups_)
    if (!session || g.session == *session) out.push_back(groupInfo(g));
  return out;
}

void TaskManager::publishGroupProgress(const Task& t) {
  auto* g = findGroup(t.group);
  if (g == nullptr || g->state != GroupState::running) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - g->last_progress < kGroupProgressInterval) return;
  g->last_progress = now;
  outbox_.transient(g->session, g->id, protocol::DidWriteGroupData{groupProgress(*g)});
}

TaskGroup* TaskManager::findGroup(std::uint64_t id) {
  auto it = groups_.find(id);
  return it == groups_.end() ? nullptr : &it->second;
}

Result<TaskGroup*> TaskManager::findGroupScoped(std::uint64_t id, const std::optional<std::string>& scope) {
  auto* g = findGroup(id);
  if (g == nullptr || (scope && g->session != *scope)) {
    std::string where = scope ? " in session " + *scope : "";
    return fail(errc::not_found, "there is no group " + std::to_string(id) + where + " (ferryctl list shows the groups)");
  }
  return g;
}

// ---------------------------------------------------------------- start-up and forgetting

void TaskManager::restoreGroups(store::Snapshot& snapshot) {
  for (auto& row : snapshot.groups) {
    const auto id = row.id;
    auto g = TaskGroup::fromRow(std::move(row));
    if (!g) {
      spdlog::error("group {} cannot be restored: {}", id, g.error().describe());
      continue;
    }
    last_task_id_ = std::max(last_task_id_, g->id);
    groups_.emplace(g->id, std::move(*g));
  }
}

// Every task is back: a group whose member failed (ferryd stopped before the group ended) fails
// now; one whose members all wait commits (again: a kill -9 between its renames lands here).
void TaskManager::settleRestoredGroups() {
  for (auto& [id, g] : groups_) {
    if (isFinal(g.state)) continue;
    const Task* cause = nullptr;
    for (auto member : g.members) {
      const auto* t = find(member);
      if (t != nullptr && (t->phase == Phase::failed || (t->phase == Phase::cancelled && cause == nullptr))) cause = t;
    }
    if (cause != nullptr) failGroup(g, *cause);
    else if (g.members.empty()) {
      g.state = GroupState::failing;
      g.error = Error(errc::internal, "ferryd found no file of group '" + g.name + "' at start-up");
      scheduleGroupEnd(id);
    } else {
      commitGroupIfComplete(g);
    }
  }
}

// didCompleteGroup was acknowledged: the group goes, with its ended members whose own events are
// acknowledged too (a member with events still pending goes with its last acknowledgement).
void TaskManager::forgetGroup(std::uint64_t id, std::vector<std::uint64_t>& forgotten) {
  auto* g = findGroup(id);
  if (g == nullptr || !isFinal(g->state)) return;
  for (auto member : g->members) {
    auto* t = find(member);
    if (t != nullptr && isFinal(t->phase) && !outbox_.hasPending(t->session, t->id)) {
      forgotten.push_back(member);
      tasks_.erase(member);
    }
  }
  groups_.erase(id);
}

}  // namespace ferry::daemon
