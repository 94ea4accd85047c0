#pragma once
// Notifications: typed events that the library broadcasts to any number of observers, so that a
// program relaunched to handle background events needs no object graph of its own to learn what
// happened (the seed's reason for notifications). Observers run on the thread that publishes
// (for transfer events, the Ferry session's delegate thread) and must not block for long.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "videofarm/model.hpp"

namespace videofarm {

struct UploadProgress {
  std::string video_id;
  std::uint64_t bytes_sent = 0;
  std::optional<std::uint64_t> bytes_total;
};
struct UploadFinished {
  std::string video_id;
  long status_code = 0;
};
struct UploadFailed {
  std::string video_id;
  Error error;
};
struct DownloadProgress {
  std::string video_id;
  Role role = Role::movie;
  std::uint64_t bytes_written = 0;
  std::optional<std::uint64_t> bytes_total;
};
// Every file of the video is in the library.
struct DownloadFinished {
  std::string video_id;
  std::filesystem::path movie;
  std::optional<std::filesystem::path> thumbnail;
};
struct DownloadFailed {
  std::string video_id;
  Role role = Role::movie;
  Error error;
  bool resumable = false;  // `videofarm resume ID` continues it
};
struct ListRefreshed {
  std::vector<RemoteVideo> videos;
};

using Event = std::variant<UploadProgress, UploadFinished, UploadFailed, DownloadProgress, DownloadFinished,
                           DownloadFailed, ListRefreshed>;

// One line for a person ("upload of 3f2a… finished (201)").
std::string describe(const Event& event);

class EventHub;

// Unsubscribes when destroyed (or reset).
class Subscription {
 public:
  Subscription() = default;
  Subscription(std::weak_ptr<EventHub> hub, std::uint64_t id) : hub_(std::move(hub)), id_(id) {}
  Subscription(Subscription&& other) noexcept : hub_(std::move(other.hub_)), id_(std::exchange(other.id_, 0)) {}
  Subscription& operator=(Subscription&& other) noexcept;
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription() { reset(); }
  void reset();

 private:
  std::weak_ptr<EventHub> hub_;
  std::uint64_t id_ = 0;
};

// Make it with std::make_shared (subscriptions hold a weak reference).
class EventHub : public std::enable_shared_from_this<EventHub> {
 public:
  using Observer = std::function<void(const Event&)>;
  [[nodiscard]] Subscription subscribe(Observer observer);
  // Calls every observer subscribed now, in subscription order. An observer may subscribe or
  // unsubscribe others from inside; that takes effect for the next event.
  void publish(const Event& event);

 private:
  friend class Subscription;
  void unsubscribe(std::uint64_t id);
  std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::shared_ptr<Observer>> observers_;
};

}  // namespace videofarm
