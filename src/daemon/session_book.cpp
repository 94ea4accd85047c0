#include "daemon/session_book.hpp"

#include <chrono>

namespace ferry::daemon {

void SessionBook::restore(const std::vector<store::SessionRow>& rows) {
  for (const auto& row : rows) {
    auto json = protocol::Json::parse(row.configuration_json, nullptr, false);
    auto config = protocol::sessionConfigFromJson(json);
    configs_[row.id] = config ? *config : protocol::SessionConfig{};
    auto mark = json.is_object() ? json.find("invalidating") : json.end();
    if (json.is_object() && mark != json.end() && mark->is_boolean() && mark->get<bool>()) invalidating_.insert(row.id);
  }
}

const protocol::SessionConfig& SessionBook::config(const std::string& session) const {
  static const protocol::SessionConfig defaults;
  auto it = configs_.find(session);
  return it == configs_.end() ? defaults : it->second;
}

void SessionBook::configure(const std::string& session, const protocol::SessionConfig& config) {
  configs_[session] = config;
  store(session, {});
}

bool SessionBook::markInvalidating(const std::string& session, store::Writer::Done done) {
  const bool fresh = invalidating_.insert(session).second;
  store(session, std::move(done));  // a crash after `done` keeps the mark
  return fresh;
}

void SessionBook::forget(const std::string& session) {
  invalidating_.erase(session);
  configs_.erase(session);
  writes_.submit(store::Durability::lifecycle, [session](store::Store& s) { return s.deleteSession(session); });
}

void SessionBook::store(const std::string& session, store::Writer::Done done) {
  protocol::Json config = protocol::sessionConfigToJson(this->config(session));
  if (isInvalidating(session)) config["invalidating"] = true;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  store::SessionRow row{session, config.dump(), now};
  const auto commit = done ? store::Commit::prompt : store::Commit::batched;  // a reply waits for it
  writes_.submit(store::Durability::lifecycle, [row](store::Store& s) { return s.upsertSession(row); }, std::move(done),
                 commit);
}

}  // namespace ferry::daemon
