#include "daemon/event_outbox.hpp"

#include <algorithm>

namespace ferry::daemon {

void EventOutbox::enqueue(Queue& q, const store::EventRow& row) {
  q.pending.push_back(row);
  ++q.pending_per_task[row.task_id];
}

void EventOutbox::restore(const std::vector<store::EventRow>& events) {
  for (const auto& row : events) {
    enqueue(sessions_[row.session], row);
    last_seq_ = std::max(last_seq_, row.seq);
  }
}

store::EventRow EventOutbox::prepare(const std::string& session, std::uint64_t task, const protocol::Event& event) {
  store::EventRow row;
  row.seq = ++last_seq_;
  row.session = session;
  row.task_id = task;
  row.type = std::string(protocol::eventName(event));
  row.payload_json = payloadOf(event);
  return row;
}

std::string EventOutbox::payloadOf(const protocol::Event& event) {
  // Bytes that are not UTF-8 (a server's header, a file name) are replaced, never a throw.
  return protocol::encodePayload(event).dump(-1, ' ', false, protocol::Json::error_handler_t::replace);
}

protocol::Json EventOutbox::message(const store::EventRow& row) {
  protocol::Json payload = protocol::Json::parse(row.payload_json, nullptr, false);
  if (!payload.is_object()) payload = protocol::Json::object();
  payload["type"] = protocol::type::event;
  payload["event"] = row.type;
  payload["seq"] = row.seq;
  payload["session"] = row.session;
  payload["task"] = row.task_id;
  return payload;
}

// A row stored by this process: its payload is payloadOf's object, so the line is the envelope
// spliced onto it, without parsing and serialising it again (a small download's two events were
// a tenth of ferryd's time in JSON).
std::string EventOutbox::line(const store::EventRow& row) {
  const std::string& payload = row.payload_json;
  std::string out;
  out.reserve(payload.size() + row.session.size() + 96);
  out += R"({"type":"event","event":)";
  out += protocol::Json(row.type).dump();
  out += R"(,"seq":)" + std::to_string(row.seq) + R"(,"session":)";
  out += protocol::Json(row.session).dump();
  out += R"(,"task":)" + std::to_string(row.task_id);
  if (payload.size() > 2 && payload.front() == '{' && payload.back() == '}') {
    out += ',';
    out.append(payload, 1, std::string::npos);
  } else {
    out += '}';
  }
  out += '\n';
  return out;
}

void EventOutbox::committed(const store::EventRow& row) {
  auto& q = sessions_[row.session];
  enqueue(q, row);
  if (auto client = q.client.lock(); client && client->open())
    client->sendLine(line(row));
  else if (unattached_)
    unattached_(row.session);
  if (!watchers_.empty()) toWatchers(message(row));
}

void EventOutbox::transient(const std::string& session, std::uint64_t task, const protocol::Event& event) {
  auto it = sessions_.find(session);
  std::shared_ptr<ClientConnection> client;
  if (it != sessions_.end()) client = it->second.client.lock();
  if (!client && watchers_.empty()) return;  // nobody to tell: not even made
  protocol::Json payload = protocol::encodePayload(event);
  payload["type"] = protocol::type::event;
  payload["event"] = protocol::eventName(event);
  payload["seq"] = 0;
  payload["session"] = session;
  payload["task"] = task;
  if (client) client->send(payload);
  toWatchers(payload);
}

void EventOutbox::toWatchers(const protocol::Json& message) {
  std::erase_if(watchers_, [](const auto& w) { return w.expired(); });
  for (const auto& w : watchers_)
    if (auto c = w.lock(); c && c->attached_session != message.value("session", "") &&
                           (c->watch_session.empty() || c->watch_session == message.value("session", "")))
      c->send(message);
}

bool EventOutbox::isAttached(const std::string& session) const {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return false;
  auto client = it->second.client.lock();
  return client && client->open();
}

void EventOutbox::attach(const std::string& session, const std::shared_ptr<ClientConnection>& client) {
  auto& queue = sessions_[session];
  queue.client = client;
  for (const auto& row : queue.pending) client->send(message(row));
  client->send({{"type", protocol::type::events_drained}, {"session", session}, {"count", queue.pending.size()}});
}

void EventOutbox::detach(const std::string& session, const ClientConnection* client) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  auto current = it->second.client.lock();
  if (!current || current.get() == client) it->second.client.reset();
}

void EventOutbox::addWatcher(const std::shared_ptr<ClientConnection>& watcher) {
  if (!watcher->watch_session.empty()) {
    if (auto it = sessions_.find(watcher->watch_session); it != sessions_.end()) {
      for (const auto& row : it->second.pending) {
        auto msg = message(row);
        msg["queued"] = true;  // stored before the watch began, not yet acknowledged by the application
        watcher->send(msg);
      }
    }
  }
  watchers_.push_back(watcher);
}

std::optional<store::EventRow> EventOutbox::ack(const std::string& session, std::uint64_t seq) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return std::nullopt;
  auto& pending = it->second.pending;
  auto found = std::find_if(pending.begin(), pending.end(), [seq](const auto& r) { return r.seq == seq; });
  if (found == pending.end()) return std::nullopt;
  store::EventRow row = std::move(*found);
  pending.erase(found);
  auto count = it->second.pending_per_task.find(row.task_id);
  if (count != it->second.pending_per_task.end() && --count->second == 0) it->second.pending_per_task.erase(count);
  return row;
}

bool EventOutbox::hasPending(const std::string& session, std::uint64_t task) const {
  auto it = sessions_.find(session);
  return it != sessions_.end() && it->second.pending_per_task.count(task) != 0;
}

std::size_t EventOutbox::pendingCount(const std::string& session) const {
  auto it = sessions_.find(session);
  return it == sessions_.end() ? 0 : it->second.pending.size();
}

}  // namespace ferry::daemon
