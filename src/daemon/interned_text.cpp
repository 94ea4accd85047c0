#include "daemon/interned_text.hpp"

#include <mutex>
#include <set>

namespace ferry::daemon {

const std::string& InternedText::intern(std::string_view text) {
  // A set's nodes never move, so the pointers handed out stay valid. The mutex is for safety
  // only: tasks are made on one thread at a time (start-up, then the IPC thread).
  static std::mutex mutex;
  static std::set<std::string, std::less<>> pool;
  std::lock_guard lock(mutex);
  auto found = pool.find(text);
  if (found == pool.end()) found = pool.emplace(text).first;
  return *found;
}

}  // namespace ferry::daemon
