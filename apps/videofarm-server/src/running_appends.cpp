#include "running_appends.hpp"

#include <boost/asio/post.hpp>

#include <future>

#include "upload_appender.hpp"

namespace vf {

void RunningAppends::add(const std::string& token, UploadAppender* appender, boost::asio::any_io_executor thread) {
  std::lock_guard lock(mutex_);
  entries_[token] = Entry{appender, next_serial_++, std::this_thread::get_id(), std::move(thread)};
}

void RunningAppends::remove(const std::string& token, const UploadAppender* appender) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(token);
  if (it != entries_.end() && it->second.appender == appender) entries_.erase(it);
}

bool RunningAppends::running(const std::string& token) const {
  std::lock_guard lock(mutex_);
  return entries_.count(token) != 0;
}

bool RunningAppends::stillRunning(const std::string& token, std::uint64_t serial) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(token);
  return it != entries_.end() && it->second.serial == serial;
}

void RunningAppends::supersede(const std::string& token, std::chrono::milliseconds patience) {
  Entry entry;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(token);
    if (it == entries_.end()) return;
    entry = it->second;
  }
  // On the appender's own thread nothing else runs meanwhile: it cannot have gone.
  if (entry.owner == std::this_thread::get_id() || !entry.thread) {
    entry.appender->supersede();
    return;
  }
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  boost::asio::post(entry.thread, [self = shared_from_this(), token, entry, done] {
    // Destroyed meanwhile (its request ended) only on this very thread: asked here, it is certain.
    if (self->stillRunning(token, entry.serial)) entry.appender->supersede();
    done->set_value();
  });
  finished.wait_for(patience);
}

}  // namespace vf
