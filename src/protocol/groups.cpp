#include "protocol/groups.hpp"

#include <set>
#include <utility>

#include "common/base64.hpp"
#include "protocol/field_reader.hpp"
#include "protocol/scheduling.hpp"

namespace ferry::protocol {
namespace {

std::string entryName(std::size_t i) { return "tasks[" + std::to_string(i) + "]"; }

Json entryToJson(const GroupEntry& e) {
  Json j{{"destination", e.destination}};
  if (e.resume_data) j["resume_data"] = *e.resume_data;
  if (!e.resume_data || !e.request.url.empty()) j["request"] = requestToJson(e.request);
  return j;
}

// An entry needs an absolute destination and a request or its own resume data.
Result<GroupEntry> entryFromJson(const Json& j, const std::string& what) {
  if (!j.is_object()) return fail(errc::protocol, what + " must be an object");
  FieldReader in(j, what);
  GroupEntry e;
  e.destination = in.string("destination");
  e.resume_data = in.optionalString("resume_data");
  const Json* request = in.value("request");
  if (request) {
    if (auto r = in.take(requestFromJson(*request))) e.request = std::move(*r);
  }
  if (in.ok() && !request && !e.resume_data)
    in.problem(Error(errc::invalid_argument, what + " needs a request"));
  if (in.ok() && (e.destination.empty() || e.destination.front() != '/'))
    in.problem(Error(errc::invalid_argument, what + ": every file of a group needs an absolute destination"));
  return in.finish(std::move(e));
}

Result<std::vector<GroupEntry>> entriesFromJson(FieldReader& in, std::string_view message) {
  std::vector<GroupEntry> out;
  const Json* entries = in.array("tasks");
  if (!in.ok()) return out;
  if (!entries || entries->empty())
    return fail(errc::invalid_argument, std::string(message) + " needs tasks: an array of {request, destination}");
  if (entries->size() > CreateGroup::kMaxEntries)
    return fail(errc::invalid_argument, "a group holds at most " + std::to_string(CreateGroup::kMaxEntries) + " files");
  std::set<std::string> destinations;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    auto entry = entryFromJson((*entries)[i], entryName(i));
    if (!entry) return tl::unexpected(Error(entry.error().code, std::string(message) + ": " + entry.error().message));
    if (!destinations.insert(entry->destination).second)
      return fail(errc::invalid_argument, std::string(message) + ": " + entryName(i) + ": destination " + entry->destination +
                                              " is named twice; every file of a group needs its own");
    out.push_back(std::move(*entry));
  }
  return out;
}

Json entriesToJson(const std::vector<GroupEntry>& entries) {
  Json out = Json::array();
  for (const auto& e : entries) out.push_back(entryToJson(e));
  return out;
}

}  // namespace

Json CreateGroup::encode() const {
  Json j{{"type", kType}};
  if (session) j["session"] = *session;
  if (resume_data) {
    j["resume_data"] = *resume_data;
  } else {
    j["name"] = name;
    j["tasks"] = entriesToJson(tasks);
  }
  j["description"] = description;
  if (start) j["start"] = true;
  j["priority"] = scheduling.priority;
  if (scheduling.discretionary) j["discretionary"] = true;
  if (auto at = beginAtSeconds(scheduling)) j["begin_at"] = *at;
  putMachineNeeds(scheduling, j);
  return j;
}

Result<CreateGroup> CreateGroup::decode(const Json& m) {
  FieldReader in(m, std::string(kType));
  CreateGroup g;
  g.session = in.optionalString("session");
  g.resume_data = in.optionalString("resume_data");
  g.description = in.string("description");
  g.start = in.boolean("start");
  g.scheduling = in.take(schedulingFromJson(m)).value_or(model::Scheduling{});
  if (g.resume_data) {
    if (in.ok() && (m.contains("tasks") || m.contains("name")))
      in.problem(Error(errc::invalid_argument, "create_group with resume_data takes no name or tasks: the resume data names them"));
    return in.finish(std::move(g));
  }
  g.name = in.string("name");
  if (in.ok() && (g.name.empty() || g.name.size() > kMaxGroupName))
    in.problem(Error(errc::invalid_argument, "create_group needs a name of 1 to " + std::to_string(kMaxGroupName) + " characters"));
  if (in.ok()) {
    if (auto entries = entriesFromJson(in, kType)) g.tasks = std::move(*entries);
    else in.problem(entries.error());
  }
  return in.finish(std::move(g));
}

Json groupProgressToJson(const GroupProgress& p) {
  return {{"files_total", p.files_total},
          {"files_done", p.files_done},
          {"bytes_written", p.bytes_written},
          {"bytes_expected", p.bytes_expected ? Json(*p.bytes_expected) : Json(nullptr)}};
}

Result<GroupProgress> groupProgressFromJson(const Json& j) {
  FieldReader in(j, "group progress");
  GroupProgress p;
  p.files_total = in.unsignedInteger("files_total");
  p.files_done = in.unsignedInteger("files_done");
  p.bytes_written = in.unsignedInteger("bytes_written");
  p.bytes_expected = in.optionalUnsigned("bytes_expected");
  return in.finish(p);
}

Json groupInfoToJson(const GroupInfo& g) {
  Json failures = Json::array();
  for (const auto& f : g.failures)
    failures.push_back({{"task", f.task}, {"url", f.url}, {"destination", f.destination}, {"error", errorJson(f.error)}});
  return {{"id", g.id},
          {"session", g.session},
          {"name", g.name},
          {"description", g.description},
          {"state", g.state},
          {"tasks", g.tasks},
          {"progress", groupProgressToJson(g.progress)},
          {"error", g.error ? errorJson(*g.error) : Json(nullptr)},
          {"failures", std::move(failures)},
          {"created_at", g.created_at}};
}

Result<GroupInfo> groupInfoFromJson(const Json& j) {
  FieldReader in(j, "group");
  GroupInfo g;
  g.id = in.requiredUnsigned("id");
  g.session = in.string("session");
  g.name = in.string("name");
  g.description = in.string("description");
  g.state = in.string("state");
  if (const Json* tasks = in.array("tasks")) {
    for (const auto& t : *tasks) {
      if (!t.is_number_unsigned()) {
        in.problem("group: tasks must be task ids");
        break;
      }
      g.tasks.push_back(t.get<std::uint64_t>());
    }
  }
  if (const Json* p = in.object("progress")) g.progress = in.take(groupProgressFromJson(*p)).value_or(GroupProgress{});
  if (const Json* e = in.object("error")) g.error = errorFromJson(*e);
  if (const Json* failures = in.array("failures")) {
    for (const auto& f : *failures) {
      if (!f.is_object()) {
        in.problem("group: failures must be objects");
        break;
      }
      FieldReader fr(f, "group failure");
      GroupFailure failure;
      failure.task = fr.unsignedInteger("task");
      failure.url = fr.string("url");
      failure.destination = fr.string("destination");
      if (const Json* e = fr.object("error")) failure.error = errorFromJson(*e);
      if (auto ok = fr.finish(failure)) g.failures.push_back(std::move(*ok));
      else in.problem(ok.error());
    }
  }
  g.created_at = in.integer("created_at");
  return in.finish(std::move(g));
}

Result<std::vector<GroupInfo>> groupListFromJson(const Json& reply) {
  std::vector<GroupInfo> out;
  auto groups = reply.find("groups");
  if (groups == reply.end() || groups->is_null()) return out;
  if (!groups->is_array()) return fail(errc::protocol, "list: groups must be an array");
  for (const auto& g : *groups) {
    auto info = groupInfoFromJson(g);
    if (!info) return tl::unexpected(info.error());
    out.push_back(std::move(*info));
  }
  return out;
}

bool isGroupResumeData(std::string_view blob) { return blob.substr(0, kGroupResumePrefix.size()) == kGroupResumePrefix; }

std::string encodeGroupResumeData(const GroupResumeData& data) {
  const Json j{{"name", data.name}, {"description", data.description}, {"tasks", entriesToJson(data.entries)}};
  return std::string(kGroupResumePrefix) + base64Encode(j.dump());
}

Result<GroupResumeData> decodeGroupResumeData(std::string_view blob) {
  const auto invalid = [](std::string why) {
    return fail(errc::resume_data_invalid, "the group resume data is damaged (" + why + "); start the group again from its URLs");
  };
  if (!isGroupResumeData(blob)) return invalid("it does not start with " + std::string(kGroupResumePrefix));
  auto text = base64Decode(blob.substr(kGroupResumePrefix.size()));
  if (!text) return invalid("not base64");
  const Json j = Json::parse(*text, nullptr, false);
  if (!j.is_object()) return invalid("not a JSON object");
  FieldReader in(j, "group resume data");
  GroupResumeData data;
  data.name = in.string("name");
  data.description = in.string("description");
  if (in.ok() && (data.name.empty() || data.name.size() > kMaxGroupName)) return invalid("its name is missing or too long");
  auto entries = entriesFromJson(in, "group resume data");
  if (!entries) return invalid(entries.error().message);
  data.entries = std::move(*entries);
  if (auto ok = in.finish(std::move(data)); ok) return ok;
  else return invalid(ok.error().message);
}

}  // namespace ferry::protocol
