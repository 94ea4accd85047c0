#pragma once
// Where a Session's tasks run: in ferryd (DaemonBackend, a background session) or in this process
// on its own transfer engine (LocalBackend, a default or ephemeral session). Session is the same
// facade over both: it turns the application's calls into protocol requests, and the backend's
// events into delegate calls on the delegate thread (session.cpp). The backend never calls the
// delegate itself.
//
// Threads: every method may be called from any application thread and from the delegate thread;
// `Deliver` may be called from any of the backend's threads.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "ferry/types.hpp"
#include "protocol/events.hpp"
#include "protocol/groups.hpp"
#include "protocol/requests.hpp"

namespace ferry {

// One thing for the delegate thread to hand to the delegate.
struct Delivery {
  enum class Kind { event, events_drained };
  Kind kind = Kind::event;
  std::uint64_t seq = 0;  // a stored event's sequence number (background); 0: transient
  std::uint64_t task = 0;
  protocol::Event event;
};

// Deliveries in order, handed over at once: an in-process session's event thread gathers what
// one burst of engine events made, so the delegate thread wakes once for them, not once each.
using Deliveries = std::vector<Delivery>;

inline Deliveries oneDelivery(Delivery d) {
  Deliveries out;
  out.push_back(std::move(d));
  return out;
}

class SessionBackend {
 public:
  using Deliver = std::function<void(Deliveries)>;
  virtual ~SessionBackend() = default;

  virtual Result<TaskInfo> createDownload(const protocol::CreateDownload& create) = 0;
  // Many at once (Session::downloadTasks): one result per entry, in order. This one creates them
  // one by one; ferryd's backend sends them in batches (create_downloads).
  virtual std::vector<Result<std::uint64_t>> createDownloads(const std::vector<protocol::CreateDownload>& creates) {
    std::vector<Result<std::uint64_t>> out;
    out.reserve(creates.size());
    for (const auto& c : creates) {
      auto info = createDownload(c);
      out.push_back(info ? Result<std::uint64_t>(info->id) : tl::unexpected(info.error()));
    }
    return out;
  }
  // A download whose body is handed over in memory (in-process sessions only).
  virtual Result<TaskInfo> createDataTask(const protocol::CreateDownload& create) = 0;
  virtual Result<TaskInfo> createUpload(const protocol::CreateUpload& create) = 0;
  virtual Result<TaskInfo> command(protocol::TaskVerb verb, std::uint64_t id) = 0;
  // Cancels the task and returns its resume data once the task has stopped.
  virtual Result<std::string> cancelProducingResumeData(std::uint64_t id) = 0;
  virtual Result<std::vector<TaskInfo>> allTasks() = 0;
  // Download groups: ferryd's alone (an in-process session refuses them, session.cpp).
  virtual Result<GroupInfo> createGroup(const protocol::CreateGroup& create) = 0;
  // suspend, resume or cancel a group (cancel_with_resume_data: cancelProducingResumeData).
  virtual Result<GroupInfo> groupCommand(protocol::TaskVerb verb, std::uint64_t id) = 0;
  // Cancels the group and returns its resume data (a group blob) once its members have stopped.
  virtual Result<std::string> cancelGroupProducingResumeData(std::uint64_t id) = 0;
  virtual Result<std::vector<GroupInfo>> allGroups() = 0;
  virtual Result<void> invalidate(bool cancel) = 0;
  virtual void decideRedirect(std::uint64_t id, bool follow) = 0;
  // A streamed upload's pump opened the pipe named in needNewBodyStream / wrote its last byte.
  virtual Result<void> bodyStreamOpened(std::uint64_t id) = 0;
  virtual void bodyStreamEnded(std::uint64_t id, std::uint64_t bytes) = 0;
  // The delegate has returned from `delivery`: acknowledge it (ferryd), or release what it named
  // (a delivered file, a finished task's record).
  virtual void delivered(const Delivery& delivery) = 0;
  // Sends what delivered() gathered (ferryd's backend acknowledges a burst of events in one
  // message); the delegate thread calls it once its inbox is empty.
  virtual void acknowledge() {}
};

}  // namespace ferry
