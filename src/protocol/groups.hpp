#pragma once
// Download groups on the wire (docs/ipc.md, "Groups"): create_group, a group as ferryd reports
// it (GroupInfo), and a group's resume data. A group's id comes from the task id sequence, so
// suspend, resume, cancel and cancel_with_resume_data take it in their "task" field and answer
// with {"group": GroupInfo} (or {"resume_data": blob}); `list` answers with "groups" beside "tasks".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "ferry/group_info.hpp"
#include "protocol/messages.hpp"
#include "protocol/requests.hpp"

namespace ferry::protocol {

using GroupInfo = ferry::GroupInfo;
using GroupProgress = ferry::GroupProgress;
using GroupFailure = ferry::GroupFailure;

inline constexpr std::size_t kMaxGroupName = 256;

// One file of a group: what to fetch and where it goes (an absolute path, one per member).
struct GroupEntry {
  model::HttpRequest request;
  std::string destination;
  std::optional<std::string> resume_data;  // a member's own download resume data (group resume data)
  bool operator==(const GroupEntry&) const = default;
};

// Made in one store transaction; unlike create_downloads one bad entry refuses the whole group
// (its error names the entry: "tasks[3]: ..."), since a group is all or nothing.
struct CreateGroup {
  static constexpr std::string_view kType = type::create_group;
  static constexpr std::size_t kMaxEntries = 10000;
  std::optional<std::string> session;  // a control client names the session
  std::string name;                    // 1..256 characters, for people (lists, logs)
  std::string description;
  bool start = false;
  model::Scheduling scheduling;        // every member's
  std::vector<GroupEntry> tasks;
  std::optional<std::string> resume_data;  // a group's resume data instead of name and tasks
  bool operator==(const CreateGroup&) const = default;

  Json encode() const;
  static Result<CreateGroup> decode(const Json& m);
};

Json groupProgressToJson(const GroupProgress& p);
Result<GroupProgress> groupProgressFromJson(const Json& j);
Json groupInfoToJson(const GroupInfo& info);
Result<GroupInfo> groupInfoFromJson(const Json& j);
// The "groups" array of a list reply (absent: none).
Result<std::vector<GroupInfo>> groupListFromJson(const Json& reply);

// A group's resume data (cancel_with_resume_data on a group): its name and, per member, its
// destination and either its own download resume data or (no bytes worth keeping) its request.
// Plain JSON in base64 with a prefix of its own: it holds nothing secret; each member's blob is
// signed by ferryd as any download's.
struct GroupResumeData {
  std::string name;
  std::string description;
  std::vector<GroupEntry> entries;
  bool operator==(const GroupResumeData&) const = default;
};
inline constexpr std::string_view kGroupResumePrefix = "ferry-group-v1:";
std::string encodeGroupResumeData(const GroupResumeData& data);
Result<GroupResumeData> decodeGroupResumeData(std::string_view blob);
bool isGroupResumeData(std::string_view blob);

}  // namespace ferry::protocol
