#include "daemon/session_book.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "store/row_codec.hpp"

namespace ferry::daemon {

void SessionBook::restore(const std::vector<store::SessionRow>& rows) {
  for (const auto& row : rows) {
    auto stored = store::decodeSession(row.configuration_json);
    if (!stored) spdlog::error("session {}: {}; it has the defaults", row.id, stored.error().describe());
    configs_[row.id] = stored ? stored->config : protocol::SessionConfig{};
    if (stored && stored->invalidating) invalidating_.insert(row.id);
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
  const std::string configuration = store::encodeSession({config(session), isInvalidating(session)});
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  store::SessionRow row{session, configuration, now};
  const auto commit = done ? store::Commit::prompt : store::Commit::batched;  // a reply waits for it
  writes_.submit(store::Durability::lifecycle, [row](store::Store& s) { return s.upsertSession(row); }, std::move(done),
                 commit);
}

}  // namespace ferry::daemon
