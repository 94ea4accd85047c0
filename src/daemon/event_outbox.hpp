#pragma once
// The event outbox: every event an application must see is written to the store before it is sent,
// kept until the application acknowledges it, and replayed in order when it attaches again.
// Progress (didWriteData) is transient: sent to whoever is attached or watching, never stored.
// This is also where a session's attached client is known (there is at most one).

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/client_connection.hpp"
#include "protocol/events.hpp"
#include "protocol/messages.hpp"
#include "store/records.hpp"

namespace ferry::daemon {

class EventOutbox {
 public:
  explicit EventOutbox(std::uint64_t last_seq) : last_seq_(last_seq) {}

  void restore(const std::vector<store::EventRow>& events);

  // Called (on the IPC loop) when an event is stored for a session that has no client attached:
  // the launcher's cue to relaunch the application.
  using UnattachedListener = std::function<void(const std::string& session)>;
  void setUnattachedListener(UnattachedListener listener) { unattached_ = std::move(listener); }

  // Assigns the next sequence number. Append the row inside a writer Work, then call committed().
  // The event is one of protocol/events.hpp's structs.
  store::EventRow prepare(const std::string& session, std::uint64_t task, const protocol::Event& event);
  // An event's payload in the form rows keep, for rows whose payload is known only later.
  static std::string payloadOf(const protocol::Event& event);
  // The row is durable: queue it, and send it now when the session's client is attached.
  void committed(const store::EventRow& row);
  // Not stored: to the attached client and to watchers only.
  void transient(const std::string& session, std::uint64_t task, const protocol::Event& event);

  // Attaching replays every pending event of the session in order, then events_drained.
  bool isAttached(const std::string& session) const;
  void attach(const std::string& session, const std::shared_ptr<ClientConnection>& client);
  void detach(const std::string& session, const ClientConnection* client);
  // A watcher gets every event (stored and transient) of every session, or of its watch_session,
  // from now on; with a watch_session it first gets that session's queued events (marked "queued").
  void addWatcher(const std::shared_ptr<ClientConnection>& watcher);

  // Removes the acknowledged event; the caller deletes its row in the store.
  std::optional<store::EventRow> ack(const std::string& session, std::uint64_t seq);
  bool hasPending(const std::string& session, std::uint64_t task) const;
  std::size_t pendingCount(const std::string& session) const;

 private:
  struct Queue {
    std::deque<store::EventRow> pending;
    std::unordered_map<std::uint64_t, std::uint32_t> pending_per_task;  // hasPending without a scan
    std::weak_ptr<ClientConnection> client;
  };
  static void enqueue(Queue& q, const store::EventRow& row);
  static protocol::Json message(const store::EventRow& row);
  static std::string line(const store::EventRow& row);  // message(row) as sent, for rows made here
  void toWatchers(const protocol::Json& message);

  std::uint64_t last_seq_;
  std::map<std::string, Queue> sessions_;
  std::vector<std::weak_ptr<ClientConnection>> watchers_;
  UnattachedListener unattached_;
};

}  // namespace ferry::daemon
