#pragma once
// ferry::Session: NSURLSession background sessions for Linux.
//
//   auto session = ferry::Session::create(ferry::Configuration::background("com.example.app"), delegate);
//   auto task = (*session)->downloadTask("https://example.com/big.iso");
//   task->resume();           // tasks are created suspended, as in URLSession
//   // ... the process may exit now; ferryd finishes the download. The next
//   // Session::create with the same identifier delivers the queued events to the delegate.
//
// Delegate callbacks run on one thread owned by the Session, in the order ferryd produced them.
// Each stored event is acknowledged when its callback returns, so it is delivered exactly once per
// acknowledgement (a process that dies inside a callback gets it again on the next attach).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <istream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "ferry/configuration.hpp"
#include "ferry/types.hpp"
#include "protocol/events.hpp"
#include "protocol/requests.hpp"

namespace ferry {

class Session;
class IpcConnection;
class BodyStreamPump;

// A handle on a task (download or upload) in ferryd; cheap to copy. Valid while its Session lives.
class Task {
 public:
  Task(Session* session, std::uint64_t id) : session_(session), id_(id) {}
  std::uint64_t identifier() const { return id_; }

  Result<TaskInfo> resume();   // starts a new task; undoes one suspend()
  Result<TaskInfo> suspend();  // nestable: as many resume() as suspend() restart it
  Result<TaskInfo> cancel();   // didComplete follows with error "cancelled"
  // Cancels and returns resume data for Session::downloadTaskWithResumeData, or for an upload
  // Session::uploadTaskWithResumeData (single use). An upload has resume data only when it is
  // resumable (ietf or tus) and the server has named its upload resource; otherwise the task is
  // cancelled all the same (as URLSession, whose handler then gets nil) and this returns
  // invalid-state.
  Result<std::string> cancelByProducingResumeData();

 private:
  Session* session_;
  std::uint64_t id_;
};

using DownloadTask = Task;
using UploadTask = Task;

class SessionDelegate {
 public:
  virtual ~SessionDelegate() = default;
  virtual void didWriteData(Session&, DownloadTask&, std::int64_t /*bytesWritten*/, std::int64_t /*totalBytesWritten*/,
                            std::int64_t /*totalBytesExpectedToWrite (-1 unknown)*/) {}
  virtual void didResumeAtOffset(Session&, DownloadTask&, std::int64_t /*fileOffset*/, std::int64_t /*expectedTotalBytes*/) {}
  // `location` is removed when this returns (once its acknowledgement is committed), unless the
  // application moved it or named a destination for the download (then it is that destination
  // and stays).
  virtual void didFinishDownloadingTo(Session&, DownloadTask&, const std::filesystem::path& /*location*/) {}
  // Uploads: body bytes handed to the server (transient, coalesced like didWriteData).
  virtual void didSendBodyData(Session&, UploadTask&, std::int64_t /*bytesSent*/, std::int64_t /*totalBytesSent*/,
                               std::int64_t /*totalBytesExpectedToSend*/) {}
  // Uploads: the server's answer (then didReceiveData with its body, if any, then didComplete).
  virtual void didReceiveResponse(Session&, UploadTask&, long /*statusCode*/,
                                  const std::vector<std::pair<std::string, std::string>>& /*headers*/) {}
  virtual void didReceiveData(Session&, UploadTask&, const std::string& /*data*/) {}
  // Streamed uploads: ferryd needs the body (again) — for the first attempt, after a retry, after
  // a 307/308, and after this process or ferryd restarted. Return a stream positioned at the
  // body's first byte; libferry reads it to its end on a thread of its own. Returning nullptr
  // cancels the task. Only an attached application is asked; a task waits ("body-stream") for it.
  virtual std::unique_ptr<std::istream> needNewBodyStream(Session&, UploadTask&) { return nullptr; }
  // Uploads created with UploadOptions::redirects "ask": the server answered `statusCode` (3xx)
  // with Location `newUrl`. Return true to follow (303 turns the request into a GET without
  // body; 307/308 send the body again), false to take the 3xx as the answer (didReceiveResponse
  // with it, then didComplete without error). Asked only while this application is attached;
  // ferryd follows when it is not, or when no answer comes within 60 s.
  virtual bool willPerformHTTPRedirection(Session&, UploadTask&, long /*statusCode*/, const std::string& /*newUrl*/) {
    return true;
  }
  // What the task's attempts cost (times, bytes, HTTP version, peer; one entry per attempt, the
  // last 32), just before didComplete. Not called for a task that never reached the transfer engine.
  virtual void didFinishCollectingMetrics(Session&, Task&, const TaskMetrics&) {}
  virtual void didComplete(Session&, Task&, const Completion&) {}
  // Every event queued while no client was attached has been delivered.
  virtual void didFinishEvents(Session&) {}
  // After finishTasksAndInvalidate or invalidateAndCancel, once every task has ended and its events
  // were delivered. The session's identifier is free again: create a new Session to use it.
  virtual void didBecomeInvalid(Session&, const std::optional<Error>& /*error*/) {}
};

class Session {
 public:
  // Connects to ferryd (starting it when needed) and attaches to the background session.
  // Fails with already-attached when another process holds the session.
  static Result<std::unique_ptr<Session>> create(Configuration configuration, std::shared_ptr<SessionDelegate> delegate);
  ~Session();  // detaches; tasks go on in ferryd
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Result<DownloadTask> downloadTask(const Request& request, const DownloadOptions& options = {});
  Result<DownloadTask> downloadTaskWithResumeData(const std::string& resume_data, const DownloadOptions& options = {});
  // Uploads `file` (ferryd reads it; changing it before the upload ends is an error). The request's
  // method is PUT unless it names another (GET, the Request default, means PUT here).
  Result<UploadTask> uploadTask(const Request& request, const std::filesystem::path& file, const UploadOptions& options = {});
  // Uploads `data`: ferryd keeps its own copy before this returns, so the upload survives this
  // process and ferryd's restarts.
  Result<UploadTask> uploadTaskWithData(const Request& request, std::string_view data, const UploadOptions& options = {});
  // Uploads a body this application streams: the delegate's needNewBodyStream supplies it, once
  // per attempt. With `length` it is sent with Content-Length (a short stream is an error);
  // without, chunked. Never resumable (a stream cannot be rewound); `options.resumable` is ignored.
  // Continues an upload cancelled with cancelByProducingResumeData: the same request, body and
  // upload resource; ferryd asks the server how much it has and sends the rest. The file must be
  // unchanged (source-changed otherwise). `options.resumable` is ignored (the resume data says);
  // `options.redirects` applies.
  Result<UploadTask> uploadTaskWithResumeData(const std::string& resume_data, const UploadOptions& options = {});
  Result<UploadTask> uploadTaskWithStreamedRequest(const Request& request, std::optional<std::uint64_t> length = std::nullopt,
                                                   const UploadOptions& options = {});
  Result<std::vector<TaskInfo>> getAllTasks();
  // Both end the session: it takes no new tasks (session-invalidated), and didBecomeInvalid comes
  // after the last task's didComplete, even if this process exits and a later one attaches.
  // finishTasksAndInvalidate lets running tasks finish (suspended ones are waited for);
  // invalidateAndCancel cancels them.
  Result<void> finishTasksAndInvalidate();
  Result<void> invalidateAndCancel();

  const Configuration& configuration() const { return configuration_; }

  // Blocks until every event queued at attach time has been delivered (didFinishEvents ran).
  bool waitForEventsDrained(std::chrono::milliseconds timeout);

  // Inside a delegate callback: the stored event's sequence number (unique per daemon state,
  // never reused), which is what ferryd's acknowledgement names; 0 for progress and outside
  // callbacks. For applications (and the soak suite) that keep their own record of events.
  std::uint64_t currentEventSequence() const { return current_seq_.load(); }

 private:
  friend class Task;
  Session(Configuration configuration, std::shared_ptr<SessionDelegate> delegate);
  Result<protocol::Json> call(protocol::Json message);
  Result<TaskInfo> taskCommand(protocol::TaskVerb verb, std::uint64_t id);
  Result<void> invalidate(const protocol::Invalidate& request);
  Result<void> checkUsable();  // session-invalidated once invalidated
  Result<UploadTask> createUpload(const Request& request, protocol::CreateUpload upload, const UploadOptions& options);
  Result<UploadTask> submitUpload(protocol::CreateUpload upload, const UploadOptions& options);
  Result<DownloadTask> submitDownload(const protocol::CreateDownload& create);
  void decideRedirect(UploadTask& task, const protocol::WillPerformHTTPRedirection& event);
  void startBodyStream(UploadTask& task, const protocol::NeedNewBodyStream& event);
  void onEvent(const protocol::Json& message);  // from the connection's reader thread
  void deliverLoop();
  void deliver(const protocol::Json& message);
  void deliverEvent(Task& task, const protocol::Event& event);

  Configuration configuration_;
  std::shared_ptr<SessionDelegate> delegate_;
  std::unique_ptr<IpcConnection> connection_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<protocol::Json> inbox_;
  std::atomic<std::uint64_t> current_seq_{0};  // the event whose callback is running
  std::set<std::uint64_t> delivered_;  // seqs handled this process: a replay after reconnect is skipped
  bool stopping_ = false;
  bool drained_ = false;
  bool invalidated_ = false;  // asked for here, or didBecomeInvalid delivered
  std::condition_variable drained_cv_;
  std::thread delegate_thread_;
  std::map<std::uint64_t, std::unique_ptr<BodyStreamPump>> pumps_;  // delegate thread only
};

}  // namespace ferry
