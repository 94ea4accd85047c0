#pragma once
// ferryd's answers about download groups, read the same way by a Session (daemon_backend.cpp) and
// by Control: task commands take a task's or a group's id (one sequence) and answer with
// {"task": ...} or {"group": ...}; cancel_with_resume_data on a group answers with a group blob.

#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "protocol/groups.hpp"

namespace ferry {

// The reply's "group"; a reply about a task (`id` was a task's) is invalid-argument.
inline Result<GroupInfo> groupOfReply(const Result<protocol::Json>& reply, std::uint64_t id) {
  if (!reply) return tl::unexpected(reply.error());
  auto group = reply->find("group");
  if (group == reply->end() || !group->is_object()) {
    if (reply->contains("task"))
      return fail(errc::invalid_argument, std::to_string(id) + " is a task, not a group; ferryd acted on that task (use Task)");
    return fail(errc::protocol, "ferryd's answer names no group");
  }
  return protocol::groupInfoFromJson(*group);
}

// The group blob of a cancel_with_resume_data reply; a download's blob (the id was a task's) is
// invalid-argument.
inline Result<std::string> groupResumeDataOfReply(const Result<protocol::Json>& reply, std::uint64_t id) {
  if (!reply) return tl::unexpected(reply.error());
  auto blob = reply->find("resume_data");
  if (blob == reply->end() || !blob->is_string())
    return fail(errc::protocol, "ferryd's answer holds no resume data for group " + std::to_string(id));
  if (!protocol::isGroupResumeData(blob->get_ref<const std::string&>()))
    return fail(errc::invalid_argument,
                std::to_string(id) + " is a task, not a group; ferryd cancelled that task (its resume data is for "
                "downloadTaskWithResumeData)");
  return blob->get<std::string>();
}

}  // namespace ferry
