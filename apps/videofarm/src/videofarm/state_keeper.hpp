#pragma once
// The Ferry session delegate of the VideoFarm client: turns the session's events into state
// changes (StateStore), files in the library (LibraryFolder) and notifications (EventHub). It is
// the same in every videofarm process, so whichever one is attached when an event comes — `add`,
// `status`, or the relaunched `handle-events` — records it the same way.
//
// An event is acknowledged to ferryd when its callback returns. If the state cannot record it, the
// process exits inside the callback (exit code 6): ferryd keeps the event and gives it again at the
// next attach, rather than it being lost.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "ferry/session.hpp"
#include "videofarm/events.hpp"
#include "videofarm/library_folder.hpp"
#include "videofarm/state_store.hpp"

namespace videofarm {

class StateKeeper : public ferry::SessionDelegate {
 public:
  StateKeeper(StateStore& state, std::shared_ptr<EventHub> hub, LibraryFolder library)
      : state_(state), hub_(std::move(hub)), library_(std::move(library)) {}

  void didWriteData(ferry::Session&, ferry::DownloadTask& task, std::int64_t, std::int64_t total, std::int64_t expected) override;
  void didSendBodyData(ferry::Session&, ferry::UploadTask& task, std::int64_t, std::int64_t total, std::int64_t expected) override;
  void didFinishDownloadingTo(ferry::Session&, ferry::DownloadTask& task, const std::filesystem::path& location) override;
  void didReceiveResponse(ferry::Session&, ferry::UploadTask& task, long status,
                          const std::vector<std::pair<std::string, std::string>>& headers) override;
  void didReceiveData(ferry::Session&, ferry::UploadTask& task, const std::string& data) override;
  void didComplete(ferry::Session&, ferry::Task& task, const ferry::Completion& completion) override;
  void didFinishEvents(ferry::Session&) override;

  // Stored events handled by this process (not progress).
  int handledEvents() const;
  // Held while a reader looks at the state: an event's change and its notification happen both
  // before or both after, so a reader that sees a transfer ended has had its notification
  // published (`videofarm status --watch` exits when nothing runs, and would otherwise miss
  // printing the ending it handled itself).
  std::unique_lock<std::mutex> holdEvents() { return std::unique_lock(event_in_hand_); }
  // Progress seen in this process for a task (ferryd's list has it too).
  std::optional<std::pair<std::uint64_t, std::optional<std::uint64_t>>> progress(std::uint64_t task) const;

 private:
  std::optional<Transfer> transferOf(std::uint64_t task);  // exits on a state error
  [[noreturn]] void cannotRecord(const Error& error, const std::string& what);
  void completeUpload(Transfer transfer, const ferry::Completion& completion);
  void completeDownload(Transfer transfer, const ferry::Completion& completion);
  void noteProgress(std::uint64_t task, std::int64_t total, std::int64_t expected);

  StateStore& state_;
  std::shared_ptr<EventHub> hub_;
  LibraryFolder library_;
  std::mutex event_in_hand_;  // held from a stored event's state change to its notification
  mutable std::mutex mutex_;
  std::map<std::uint64_t, std::string> answers_;  // an upload's response body, for its error message
  std::map<std::uint64_t, std::pair<std::uint64_t, std::optional<std::uint64_t>>> progress_;
  int handled_ = 0;
};

}  // namespace videofarm
