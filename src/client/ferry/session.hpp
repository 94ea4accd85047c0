#pragma once
// ferry::Session: NSURLSession for Linux, both halves.
//
// A background session: tasks run in ferryd and outlive this process.
//   auto session = ferry::Session::create(ferry::Configuration::background("com.example.app"), delegate);
//   auto task = (*session)->downloadTask("https://example.com/big.iso");
//   task->resume();           // tasks are created suspended, as in URLSession
//   // ... the process may exit now; ferryd finishes the download. The next
//   // Session::create with the same identifier delivers the queued events to the delegate.
//
// A default (or ephemeral) session: tasks run in this process on its own transfer thread, with
// the same task API and delegate events, plus data tasks and the convenience calls:
//   auto session = ferry::Session::create(ferry::Configuration::defaults());
//   auto answer = (*session)->data("https://example.com/api").get();  // Result<Response>
//
// Delegate callbacks and completion handlers run one at a time, in event order, on the session's
// delegate queue (Configuration::delegateQueue; default a thread owned by the Session), never on
// the transfer thread. A callback that throws is reported on stderr and the next one runs. In a
// background session each stored event is acknowledged after its callback returns (the events
// delivered in one burst are acknowledged together, in one message, once the burst is over), so
// it is delivered exactly once per acknowledgement (a process that dies inside a callback gets it again
// on the next attach).

#include <atomic>
#include <concepts>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <istream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <thread>
#include <vector>

#include "ferry/configuration.hpp"
#include "ferry/error.hpp"
#include "ferry/export.hpp"
#include "ferry/types.hpp"

// Named by private members only (the IPC messages a Session sends and reads); defined in
// libferry's own headers, so that this one includes nothing outside ferry/.
namespace ferry::protocol {
struct CreateDownload;
struct CreateGroup;
struct CreateUpload;
struct NeedNewBodyStream;
struct WillPerformHTTPRedirection;
enum class TaskVerb;
}  // namespace ferry::protocol

namespace ferry {

class Session;
class SessionBackend;
class BodyStreamPump;
struct Delivery;

// A handle on a task (download or upload) in ferryd; cheap to copy. Valid while its Session lives.
class FERRY_EXPORT Task {
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
using DataTask = Task;

// What a convenience call hands its handler. Any HTTP answer is a Response (a 404 too, as in
// URLSession); transport failures, cancellation and refusals are the Error.
struct Response {
  long status_code = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // data and upload tasks
  std::string body;                  // data tasks, and an upload's answer
  std::filesystem::path location;    // download tasks: the file, the handler's to keep or remove
};
using ResponseHandler = std::function<void(Result<Response>)>;

// Exported (its vtable and typeinfo) so that an application's subclass and libferry agree on one.
class FERRY_EXPORT SessionDelegate {
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
  // Uploads and data tasks: the answer's body (data tasks: all of it, once, before didComplete).
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
  // Download groups (Session::downloadGroup): the group's progress as one figure, files and bytes
  // (transient, coalesced like didWriteData; `group` is the group's id).
  virtual void didWriteGroupData(Session&, std::uint64_t /*group*/, const GroupProgress&) {}
  // The group ended, after its members' own didFinishDownloadingTo/didComplete: group.state is
  // completed (every file is at its destination), failed (group.error says why and group.failures
  // names the files that failed; no file of the group was put at its destination) or cancelled.
  // `resumeData` is set for a group cancelled with cancelGroupByProducingResumeData.
  virtual void didCompleteGroup(Session&, const GroupInfo&, const std::optional<std::string>& /*resumeData*/) {}
  // Every event queued while no client was attached has been delivered.
  virtual void didFinishEvents(Session&) {}
  // After finishTasksAndInvalidate or invalidateAndCancel, once every task has ended and its events
  // were delivered. The session's identifier is free again: create a new Session to use it.
  virtual void didBecomeInvalid(Session&, const std::optional<Error>& /*error*/) {}
};

class FERRY_EXPORT Session {
 public:
  // Background: connects to ferryd (starting it when needed) and attaches to the session; fails
  // with already-attached when another process holds it. Default/ephemeral: starts the session's
  // transfer thread in this process.
  static Result<std::unique_ptr<Session>> create(Configuration configuration,
                                                 std::shared_ptr<SessionDelegate> delegate = nullptr);
  ~Session();  // background: detaches, tasks go on in ferryd. In-process: its tasks stop.
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Result<DownloadTask> downloadTask(const Request& request, const DownloadOptions& options = {});
  Result<DownloadTask> downloadTaskWithResumeData(const std::string& resume_data, const DownloadOptions& options = {});
  // Many downloads in few round trips: a background session sends them to ferryd in messages of
  // up to 1,000, and ferryd commits each message's tasks in one transaction (an in-process
  // session creates them one by one). One result per request, in order: the task, or why that
  // request was refused (a malformed URL, a destination whose directory does not exist, ...);
  // the others are created all the same. C: ferry_session_download_many; Python: download_many.
  std::vector<Result<DownloadTask>> downloadTasks(std::span<const DownloadRequest> requests);
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
  // In-process sessions: the answer's body in memory (didReceiveResponse, didReceiveData, then
  // didComplete), at most Configuration::maxDataTaskBytes (too-large past it). Background
  // sessions refuse it (invalid-argument), as URLSession's do.
  Result<DataTask> dataTask(const Request& request);

  // ---- Convenience calls: in-process sessions only. A background session answers each with
  // invalid-argument (use a delegate). The handler gets the task's end instead of the delegate's
  // didFinishDownloadingTo/didReceiveResponse/didReceiveData/didComplete (progress events still
  // go to the delegate). Tasks with a handler are created suspended (resume() them), as in
  // URLSession; the future forms start at once.
  template <class F>
    requires std::invocable<F&, Result<Response>>
  Result<DataTask> dataTask(const Request& request, F&& handler) {
    return dataTaskWithHandler(request, ResponseHandler(std::forward<F>(handler)));
  }
  // The handler owns Response::location (moved out of the session's files; remove it when done).
  template <class F>
    requires std::invocable<F&, Result<Response>>
  Result<DownloadTask> downloadTask(const Request& request, F&& handler, const DownloadOptions& options = {}) {
    return downloadTaskWithHandler(request, ResponseHandler(std::forward<F>(handler)), options);
  }
  template <class F>
    requires std::invocable<F&, Result<Response>>
  Result<UploadTask> uploadTask(const Request& request, const std::filesystem::path& file, F&& handler,
                                const UploadOptions& options = {}) {
    return uploadTaskWithHandler(request, file, ResponseHandler(std::forward<F>(handler)), options);
  }
  std::future<Result<Response>> data(const Request& request);
  std::future<Result<Response>> download(const Request& request, const DownloadOptions& options = {});
  std::future<Result<Response>> upload(const Request& request, const std::filesystem::path& file,
                                       const UploadOptions& options = {});

  Result<DataTask> dataTaskWithHandler(const Request& request, ResponseHandler handler);
  Result<DownloadTask> downloadTaskWithHandler(const Request& request, ResponseHandler handler,
                                               const DownloadOptions& options = {});
  Result<UploadTask> uploadTaskWithHandler(const Request& request, const std::filesystem::path& file,
                                           ResponseHandler handler, const UploadOptions& options = {});

  // ---- Download groups (a BITS job): many files as one job, with one id, one progress figure
  // (didWriteGroupData) and one didCompleteGroup. Atomic: no file is put at its destination until
  // every file of the group is downloaded and verified; then all are. One bad file (a malformed
  // URL, a relative or repeated destination, ...) refuses the whole group, its error naming the
  // file ("tasks[3]: ..."). Created suspended unless options.start (resumeGroup starts it). The
  // members are ordinary tasks of this session too (TaskInfo::group names their group): their
  // own events still arrive. Background sessions only: an in-process session refuses groups
  // (invalid-state). C: ferry_session_download_group; Python: Session.download_group.
  Result<GroupInfo> downloadGroup(std::string name, std::vector<GroupFile> files, GroupOptions options = {});
  // A group again from cancelGroupByProducingResumeData's blob (its files, destinations and the
  // bytes each had); `options` says whether it starts and its scheduling.
  Result<GroupInfo> downloadGroupWithResumeData(const std::string& resume_data, GroupOptions options = {});
  // This session's groups (an in-process session has none: an empty list).
  Result<std::vector<GroupInfo>> getAllGroups();
  // As Task's: on the group as a whole. `id` must be a group's (ids of tasks and groups come from
  // one sequence: given a task's id, ferryd acts on that task and this returns invalid-argument).
  Result<GroupInfo> suspendGroup(std::uint64_t id);
  Result<GroupInfo> resumeGroup(std::uint64_t id);
  Result<GroupInfo> cancelGroup(std::uint64_t id);  // didCompleteGroup follows (state cancelled)
  // Cancels the group and returns its resume data (a "ferry-group-v1:" blob) for downloadGroupWithResumeData.
  Result<std::string> cancelGroupByProducingResumeData(std::uint64_t id);

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
  // A convenience task's handler and the answer gathered for it (delegate thread).
  struct PendingAnswer {
    ResponseHandler handler;
    Response response;
  };

  Session(Configuration configuration, std::shared_ptr<SessionDelegate> delegate);
  Result<void> openBackend();
  Result<TaskInfo> taskCommand(protocol::TaskVerb verb, std::uint64_t id);
  Result<void> invalidate(bool cancel);
  Result<void> checkUsable();  // session-invalidated once invalidated
  Result<void> checkConvenience(std::string_view call);  // invalid-argument in a background session
  Result<UploadTask> createUpload(const Request& request, protocol::CreateUpload upload, const UploadOptions& options);
  Result<UploadTask> submitUpload(protocol::CreateUpload upload, const UploadOptions& options);
  Result<DownloadTask> submitDownload(const protocol::CreateDownload& create, bool data = false);
  Result<GroupInfo> submitGroup(protocol::CreateGroup& create, const GroupOptions& options);
  // Creates with `create` while the handler table is locked, so the task's first events find it.
  template <class Create>
  Result<Task> withHandler(ResponseHandler handler, Create create);
  void decideRedirect(UploadTask& task, const protocol::WillPerformHTTPRedirection& event);
  void startBodyStream(UploadTask& task, const protocol::NeedNewBodyStream& event);
  void enqueue(std::vector<Delivery> deliveries);  // from the backend's threads, in order
  void deliverLoop();
  void deliver(Delivery& delivery);  // moves a data task's body to its handler
  void runOnDelegateQueue(const std::function<void()>& work);
  void deliverEvent(Task& task, const Delivery& delivery);
  bool answerHandler(Task& task, Delivery& delivery);  // true: the handler took it

  Configuration configuration_;
  std::shared_ptr<SessionDelegate> delegate_;
  std::unique_ptr<SessionBackend> backend_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Delivery> inbox_;
  std::atomic<std::uint64_t> current_seq_{0};  // the event whose callback is running
  std::set<std::uint64_t> delivered_;  // seqs handled this process: a replay after reconnect is skipped
  bool acks_waiting_ = false;  // delegate thread: the backend holds acknowledgements not sent yet
  bool stopping_ = false;
  bool backend_ready_ = false;  // set once backend_ is assigned: delivery waits for it
  bool drained_ = false;
  bool invalidated_ = false;  // asked for here, or didBecomeInvalid delivered
  std::condition_variable drained_cv_;
  std::thread delegate_thread_;
  std::map<std::uint64_t, std::unique_ptr<BodyStreamPump>> pumps_;  // delegate thread only
  std::mutex answers_mutex_;
  std::map<std::uint64_t, PendingAnswer> answers_;
};

}  // namespace ferry
