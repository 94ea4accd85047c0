#pragma once
// The one copy in ferryd of each session's configuration (what its client attached with: limits,
// resource timeout, launch command) and of which sessions are being invalidated. TaskManager,
// the daemon's status and the launcher all read it here; it stores each change as the session's
// row (the configuration's JSON with "invalidating": true while that lasts). Runs on the IPC
// thread.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "daemon/task_ports.hpp"
#include "protocol/messages.hpp"
#include "store/records.hpp"

namespace ferry::daemon {

class SessionBook {
 public:
  explicit SessionBook(DurableWrites& writes) : writes_(writes) {}

  // At start-up, from the store's rows. A configuration that no longer reads is the defaults'.
  void restore(const std::vector<store::SessionRow>& rows);

  // A session never configured has the defaults.
  const protocol::SessionConfig& config(const std::string& session) const;
  const std::map<std::string, protocol::SessionConfig>& all() const { return configs_; }
  bool isInvalidating(const std::string& session) const { return invalidating_.count(session) != 0; }
  const std::set<std::string>& invalidating() const { return invalidating_; }

  // Records a client's configuration and stores it (batched: nobody waits).
  void configure(const std::string& session, const protocol::SessionConfig& config);
  // A task was made in a session no client configured (a control client named it): the session
  // is known from now on, with the defaults (not stored: nothing was configured).
  void note(const std::string& session) { configs_.try_emplace(session); }
  // Marks the session invalidating and stores that; `done` runs on the writer's thread once it is
  // durable. Returns false when it was invalidating already.
  bool markInvalidating(const std::string& session, store::Writer::Done done);
  // The application acknowledged didBecomeInvalid: the session is forgotten, its identifier free.
  void forget(const std::string& session);

 private:
  void store(const std::string& session, store::Writer::Done done);

  DurableWrites& writes_;
  std::map<std::string, protocol::SessionConfig> configs_;
  std::set<std::string> invalidating_;
};

}  // namespace ferry::daemon
