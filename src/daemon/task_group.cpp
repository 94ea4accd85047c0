#include "daemon/task_group.hpp"

#include <array>
#include <utility>

namespace ferry::daemon {
namespace {

constexpr std::array<std::pair<GroupState, std::string_view>, 7> kGroupStateNames{{
    {GroupState::running, "running"},
    {GroupState::committing, "committing"},
    {GroupState::failing, "failing"},
    {GroupState::cancelling, "cancelling"},
    {GroupState::completed, "completed"},
    {GroupState::failed, "failed"},
    {GroupState::cancelled, "cancelled"},
}};

}  // namespace

std::string_view groupStateName(GroupState s) {
  for (const auto& [state, name] : kGroupStateNames)
    if (state == s) return name;
  return "unknown";
}

// Stored: running until it ends (committing, failing and cancelling are moments of one ferryd's
// life: at start-up the members' rows say where the group is), then its final state and outcome.
store::GroupRow TaskGroup::toRow(const protocol::GroupInfo& info) const {
  store::GroupRow row;
  row.id = id;
  row.session = session;
  row.name = name;
  row.description = description;
  row.state = std::string(groupStateName(isFinal(state) ? state : GroupState::running));
  row.created_at = created_at;
  if (isFinal(state)) row.outcome_json = protocol::groupInfoToJson(info).dump();
  return row;
}

Result<TaskGroup> TaskGroup::fromRow(store::GroupRow&& row) {
  TaskGroup g;
  g.id = row.id;
  g.session = row.session;
  g.name = std::move(row.name);
  g.description = std::move(row.description);
  g.created_at = row.created_at;
  GroupState state = GroupState::running;
  bool known = false;
  for (const auto& [s, name] : kGroupStateNames)
    if (name == row.state) state = s, known = true;
  if (!known) return fail(errc::internal, "group " + std::to_string(row.id) + " has unknown state " + row.state);
  g.state = isFinal(state) ? state : GroupState::running;
  if (isFinal(state) && !row.outcome_json.empty()) {
    const auto j = protocol::Json::parse(row.outcome_json, nullptr, false);
    auto info = j.is_object() ? protocol::groupInfoFromJson(j) : fail(errc::internal, "not a JSON object");
    if (!info) return fail(errc::internal, "group " + std::to_string(row.id) + ": its stored outcome is damaged (" + info.error().message + ")");
    g.error = info->error;
    g.failures = std::move(info->failures);
    g.final_progress = info->progress;
    g.members = std::move(info->tasks);
  }
  return g;
}

}  // namespace ferry::daemon
