#pragma once
// The background half of the VideoFarm client: the movie upload and a video's movie + thumbnail
// downloads as tasks of one Ferry background session (whose identifier the state keeps), pause
// (downloads: resume data, kept in the state; uploads: suspended) and resume, and the status of
// everything in flight. Attaching delivers the session's queued events to the StateKeeper, so
// every command that attaches also brings the state up to date.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/session.hpp"
#include "videofarm/api_client.hpp"
#include "videofarm/events.hpp"
#include "videofarm/library_folder.hpp"
#include "videofarm/state_keeper.hpp"
#include "videofarm/state_store.hpp"

namespace videofarm {

struct TransferOptions {
  std::filesystem::path socket;           // ferryd's socket; empty: $FERRY_SOCKET / the XDG default
  bool start_daemon = true;               // start ferryd when nothing answers (as libferry does)
  std::uint64_t max_bytes_per_second = 0; // per task; 0: unlimited
  std::chrono::milliseconds attach_patience{5000};  // retry while another videofarm holds the session
  // What ferryd runs when the session has events and no videofarm is attached (and, every
  // refresh_interval, for a background refresh of the list): `videofarm handle-events ...`.
  // Every attach states it again (ferryd keeps what the last attach said). Empty: none.
  std::vector<std::string> launch_argv;
  std::string launch_directory;
  std::vector<std::string> launch_environment;  // names of variables ferryd passes on
  std::chrono::seconds refresh_interval{0};
};

// A transfer and what ferryd says about its task now.
struct TransferStatus {
  Transfer transfer;
  std::string title;
  std::optional<ferry::TaskInfo> task;  // none when paused, finished, failed, or unknown to ferryd
};

// The movie's size if it is a regular file this process can read (invalid-argument otherwise):
// checked before a video is prepared on the server, so a bad file leaves nothing behind.
Result<std::uint64_t> checkMovieReadable(const std::filesystem::path& movie);

class BackgroundTransfers {
 public:
  static Result<std::unique_ptr<BackgroundTransfers>> attach(StateStore& state, std::shared_ptr<EventHub> hub,
                                                             LibraryFolder library, const TransferOptions& options);
  ~BackgroundTransfers();  // detaches; the tasks go on in ferryd
  BackgroundTransfers(const BackgroundTransfers&) = delete;
  BackgroundTransfers& operator=(const BackgroundTransfers&) = delete;

  const std::string& sessionIdentifier() const { return session_id_; }
  // The Authorization header value every upload and download carries from now on ("Bearer ...").
  void setAuthorization(std::optional<std::string> value) { authorization_ = std::move(value); }
  // Until every event queued before the attach has been handled (didFinishEvents).
  bool waitForQueuedEvents(std::chrono::milliseconds timeout);
  int handledEvents() const { return keeper_->handledEvents(); }

  // Uploads `movie` as `video`'s movie (IETF resumable when the server offers it), returns at once.
  Result<VideoUpload> upload(const ApiClient& api, const RemoteVideo& video, const std::filesystem::path& movie);
  // Downloads the movie and the thumbnail into the library folder, returns at once.
  Result<VideoDownload> download(const ApiClient& api, const RemoteVideo& video);
  // The transfers it paused / resumed (not-found when the video has nothing to pause / resume).
  Result<std::vector<Transfer>> pause(const std::string& video_id);
  Result<std::vector<Transfer>> resume(const std::string& video_id);
  // Cancels the video's live tasks and forgets its transfers (for delete).
  Result<void> cancel(const std::string& video_id);
  // Every transfer not finished, with its task's live numbers.
  Result<std::vector<TransferStatus>> status();

 private:
  BackgroundTransfers(StateStore& state, LibraryFolder library) : state_(state), library_(std::move(library)) {}
  Result<std::uint64_t> startUpload(const Transfer& transfer, bool resumable);
  Result<std::uint64_t> startDownload(Transfer& transfer);
  Result<void> begin(Transfer& transfer, std::uint64_t task);  // records the task, then resumes it
  ferry::Request request(const std::string& url) const;       // with the Authorization header

  StateStore& state_;
  LibraryFolder library_;
  std::string session_id_;
  std::optional<std::string> authorization_;
  std::shared_ptr<StateKeeper> keeper_;
  std::unique_ptr<ferry::Session> session_;
};

}  // namespace videofarm
