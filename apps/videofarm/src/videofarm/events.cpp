#include "videofarm/events.hpp"

namespace videofarm {

namespace {
// std::visit with one lambda per alternative.
template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;
}  // namespace

namespace {
std::string bytes(std::uint64_t done, std::optional<std::uint64_t> total) {
  std::string s = std::to_string(done);
  if (total) s += "/" + std::to_string(*total);
  return s + " bytes";
}
}  // namespace

std::string describe(const Event& event) {
  return std::visit(
      Overloaded{
          [](const UploadProgress& e) { return "upload of " + e.video_id + ": " + bytes(e.bytes_sent, e.bytes_total); },
          [](const UploadFinished& e) {
            return "upload of " + e.video_id + " finished (" + std::to_string(e.status_code) + ")";
          },
          [](const UploadFailed& e) { return "upload of " + e.video_id + " failed: " + e.error.describe(); },
          [](const DownloadProgress& e) {
            return "download of " + e.video_id + " " + std::string(roleName(e.role)) + ": " +
                   bytes(e.bytes_written, e.bytes_total);
          },
          [](const DownloadFinished& e) {
            return "download of " + e.video_id + " finished: " + e.movie.string() +
                   (e.thumbnail ? " and " + e.thumbnail->string() : std::string());
          },
          [](const DownloadFailed& e) {
            return "download of " + e.video_id + " " + std::string(roleName(e.role)) + " failed: " + e.error.describe() +
                   (e.resumable ? " (`videofarm resume " + e.video_id + "` continues it)" : std::string());
          },
          [](const ListRefreshed& e) { return "list refreshed: " + std::to_string(e.videos.size()) + " videos"; },
      },
      event);
}

Subscription& Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    reset();
    hub_ = std::move(other.hub_);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void Subscription::reset() {
  if (id_ == 0) return;
  if (auto hub = hub_.lock()) hub->unsubscribe(id_);
  id_ = 0;
  hub_.reset();
}

Subscription EventHub::subscribe(Observer observer) {
  std::lock_guard lock(mutex_);
  auto id = next_id_++;
  observers_[id] = std::make_shared<Observer>(std::move(observer));
  return Subscription(weak_from_this(), id);
}

void EventHub::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  observers_.erase(id);
}

void EventHub::publish(const Event& event) {
  // A snapshot, called without the lock: observers may (un)subscribe from inside.
  std::vector<std::shared_ptr<Observer>> now;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, observer] : observers_) now.push_back(observer);
  }
  for (const auto& observer : now) (*observer)(event);
}

}  // namespace videofarm
