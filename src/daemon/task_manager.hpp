#pragma once
// TaskManager owns every Task and routes: application requests and engine events become phase
// changes (one function: transition, in task_transitions.cpp), engine commands (TransferEngine),
// durable writes (DurableWrites) and outbox events. Runs on the IPC thread; engine events and
// writer completions are posted to it. Its files, one concern each:
//   task_manager.cpp           start-up restore, sessions, invalidation, lists, acknowledgements
//   task_create.cpp            create_download and resume data
//   task_commands.cpp          suspend, resume, cancel
//   task_transitions.cpp       transition() and the way into the engine (admission)
//   task_engine_events.cpp     the engine's events for downloads, checkpoints, stops
//   task_ending.cpp            every end of a task, committed one way with one retry rule
//   task_device.cpp            the machine's state: tasks held and let go, restarts after a
//                              network change or sleep, the engine's busy/idle for the sleep lock
//   task_manager_uploads.cpp   uploads; task_manager_streams.cpp, task_manager_redirects.cpp
//
// Durability rules it enforces (docs/architecture.md, "Durability rules"):
// - a task's durable offset is committed only after fdatasync of the partial file succeeded;
//   a failed fdatasync cuts back to the last durable offset (engine.restartFrom), never retried;
// - a finished file is fdatasync'd, renamed into place, its directory fsync'd, and only then is
//   the task marked completed and its events appended, in one transaction;
// - events are in the store before they are sent.

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio.hpp>

#include "common/unique_fd.hpp"
#include "daemon/engine_admission.hpp"
#include "daemon/event_outbox.hpp"
#include "daemon/rate_meter.hpp"
#include "daemon/resume_data.hpp"
#include "daemon/session_book.hpp"
#include "daemon/task.hpp"
#include "daemon/task_group.hpp"
#include "protocol/local_resume_data.hpp"
#include "daemon/task_ports.hpp"
#include "device/run_policy.hpp"
#include "protocol/messages.hpp"
#include "store/store.hpp"

namespace ferry::daemon {

struct NewDownload {
  std::string session;
  engine::HttpRequest request;
  std::string destination;
  std::string description;
  std::optional<std::string> resume_data;
  bool start = false;  // URLSession tasks are created suspended; resume() starts them
  engine::Scheduling scheduling;  // priority, discretionary, begin date
  std::uint64_t group = 0;        // set by createGroup for its members
};

// A download group (task_group.hpp): every file needs its own destination.
struct NewGroup {
  std::string session;
  std::string name;
  std::string description;
  bool start = false;
  engine::Scheduling scheduling;
  std::vector<NewDownload> files;  // their session, start and scheduling are the group's
};

struct NewUpload {
  std::string session;
  engine::HttpRequest request;       // PUT unless the application named another method
  std::filesystem::path file;        // upload this file of the application's (absolute), or
  std::filesystem::path spool_from;  // copy these bytes into the spool first (a file the client wrote)
  engine::ResumableMode mode = engine::ResumableMode::ietf;
  std::optional<engine::RedirectPolicy> redirects;  // none: follow (or, with resume_data, as before)
  // Continue a cancelled resumable upload: the blob names the request, body and upload resource;
  // request, file, spool_from, stream and mode are not used.
  std::optional<std::string> resume_data;
  bool stream = false;                         // neither file nor spool_from: the application streams
  std::optional<std::uint64_t> stream_length;  // the body (needNewBodyStream), of this length if known
  std::string description;
  bool start = false;
  engine::Scheduling scheduling;
};

class TaskManager {
 public:
  using Reply = std::function<void(Result<protocol::TaskInfo>)>;
  // One result per entry of a batch, in order: the new task's id or why that entry was refused.
  using BatchReply = std::function<void(std::vector<Result<std::uint64_t>>)>;
  using ResumeDataReply = std::function<void(Result<std::string>)>;
  using GroupReply = std::function<void(Result<protocol::GroupInfo>)>;

  TaskManager(boost::asio::io_context& io, DurableWrites& writer, TransferEngine& engine, SessionBook& sessions,
              EventOutbox& outbox,
              const ResumeDataCodec& codec, std::filesystem::path state_dir,
              std::chrono::milliseconds checkpoint_interval);

  // At start-up (the session book restored first): tasks that were running are cut back to their
  // durable offset and restarted; sessions invalidating end their invalidation when nothing runs.
  void restore(store::Snapshot& snapshot);  // moves the task rows out of the snapshot

  // The reply comes once the task is durable, so an id a client saw survives a crash.
  void createDownload(NewDownload spec, Reply reply);
  // Many at once (create_downloads): one store transaction for the batch; an entry that is an
  // error, or fails its checks, is that entry's result and the others are created.
  void createDownloads(std::vector<Result<NewDownload>> specs, BatchReply reply);
  // Likewise; bytes to spool are copied and synced before the reply (task_manager_uploads.cpp).
  void createUpload(NewUpload spec, Reply reply);
  // `scope`: an attached client may only touch its own session's tasks; control connections any.
  Result<protocol::TaskInfo> suspend(std::uint64_t id, const std::optional<std::string>& scope);
  Result<protocol::TaskInfo> resume(std::uint64_t id, const std::optional<std::string>& scope);
  Result<protocol::TaskInfo> cancel(std::uint64_t id, const std::optional<std::string>& scope);
  void cancelWithResumeData(std::uint64_t id, const std::optional<std::string>& scope, ResumeDataReply reply);
  // Turns a download's resume data into an in-process session's (protocol::ExportResumeData).
  void exportResumeData(const std::string& blob, ResumeDataReply reply);
  void cancelAll(const std::string& session);

  // Download groups (task_groups.cpp). The group and every member are made in one transaction;
  // one bad file refuses the whole group ("tasks[3]: ..."). A group's id is a task id nobody
  // else has: isGroup says which commands it takes.
  void createGroup(NewGroup spec, GroupReply reply);
  bool isGroup(std::uint64_t id) const { return groups_.count(id) != 0; }
  Result<protocol::GroupInfo> suspendGroup(std::uint64_t id, const std::optional<std::string>& scope);
  Result<protocol::GroupInfo> resumeGroup(std::uint64_t id, const std::optional<std::string>& scope);
  Result<protocol::GroupInfo> cancelGroup(std::uint64_t id, const std::optional<std::string>& scope);
  // The reply (and didCompleteGroup) carries the group's resume data once every member has ended.
  void cancelGroupWithResumeData(std::uint64_t id, const std::optional<std::string>& scope, ResumeDataReply reply);
  std::vector<protocol::GroupInfo> listGroups(const std::optional<std::string>& session) const;

  // finishTasksAndInvalidate (cancel_tasks false) and invalidateAndCancel (true): the session takes
  // no new tasks; once every task has ended, didBecomeInvalid is queued after their events. When
  // the application acknowledges it, the session is forgotten and its identifier is free again.
  // Durable: a restart in between keeps the session invalidating.
  // `done` runs (on the IPC thread) once the invalidating mark is durable.
  void invalidate(const std::string& session, bool cancel_tasks, std::function<void(Result<void>)> done);

  std::vector<protocol::TaskInfo> list(const std::optional<std::string>& session) const;
  std::map<std::string, int> countByState() const;
  // Bytes per second moved by each session's transfers (both directions) over the last seconds;
  // sessions that moved nothing lately are left out.
  std::map<std::string, double> currentRates();

  // Every event of the engine, for downloads and uploads (task_engine_events.cpp).
  void onEngineEvent(const engine::Event& event);
  // A loop turn's events, in order; the downloads they finish are made durable together.
  void onEngineEvents(const std::vector<engine::Event>& events);
  // Acknowledged events (one ack message): delivered files left in delivered/ are removed, and a
  // finished task whose events are all acknowledged is forgotten; one store transaction for them.
  void onEventsAcked(const std::vector<store::EventRow>& rows);
  // A client attached with this configuration: recorded (durably, in the session book) and its
  // limits applied to the engine and the admission windows.
  void setSessionConfig(const std::string& session, const protocol::SessionConfig& config);

  // Runs `fn` on the IPC thread once everything submitted to the store so far is committed.
  void whenDurable(std::function<void()> fn);

  // SIGTERM: make every running task's written bytes durable (the engine must be stopped first;
  // nothing is handed to it any more). Stops that were in flight land as if the engine had
  // answered them: a cancelled task ends cancelled, a suspended one stays suspended.
  void checkpointAllForShutdown();

  // For tests and ferryctl status: where a task is in its life.
  std::optional<Phase> phaseOf(std::uint64_t id) const;

  // The machine's state (src/device, task_device.cpp). `view` says what it is now; without one
  // nothing holds a task. Before restore(), so that restored tasks wait as they should.
  void setDeviceView(std::function<device::DeviceView()> view) { device_view_ = std::move(view); }
  // It changed: held tasks that may run now start, tasks in the engine that may not stop at a
  // checkpoint and wait (held), and, after the default route moved, tasks whose transfer has been
  // quiet for a second start again at once instead of waiting for their stall timeout.
  void applyDeviceState(const device::DeviceChange& change);
  // Runs `done` once no task has a job in the engine and every checkpoint so far is committed
  // (before sleep: the offsets are durable).
  void whenEngineIdle(std::function<void()> done);
  // Told true when the first task gets a job in the engine, false when the last one leaves.
  void onEngineBusy(std::function<void(bool)> listener) { on_engine_busy_ = std::move(listener); }

  // Streamed uploads (task_manager_streams.cpp). A stream task that must send its body waits
  // ("body-stream") until its session's application is attached, which is then asked for a
  // stream with needNewBodyStream naming a pipe; the application opens the pipe's write end and
  // says so (body_stream_opened), the engine reads it, and the application says how many bytes
  // it wrote when its stream ended (body_stream_ended) before closing the pipe.
  void onAttached(const std::string& session);
  void onDetached(const std::string& session);
  // Uploads created with redirects "ask" (task_manager_redirects.cpp): the attached application
  // is asked (willPerformHTTPRedirection) and answers with decide_redirect; without a client, or
  // when it does not answer within kRedirectDecisionTimeout, the redirect is followed.
  static constexpr std::chrono::seconds kRedirectDecisionTimeout{60};
  Result<protocol::TaskInfo> decideRedirect(std::uint64_t id, const std::optional<std::string>& scope, bool follow);

  Result<protocol::TaskInfo> bodyStreamOpened(std::uint64_t id, const std::optional<std::string>& scope);
  Result<void> bodyStreamEnded(std::uint64_t id, const std::optional<std::string>& scope, std::uint64_t bytes);

 private:
  // A download made in memory whose row is not committed yet (task_create.cpp).
  struct Creation {
    std::uint64_t id = 0;
    store::Writer::Work work;          // the disk checks and the row, on the writer's thread
    std::optional<std::string> token;  // the resume token it takes
  };
  Result<Creation> makeDownload(NewDownload spec);
  Result<Task*> settleCreation(const Creation& made, const Result<void>& committed);
  void restoreTask(Task& t);
  void resumeSegments(Task& t, const Result<std::uint64_t>& size);
  void restoreMetrics(const std::vector<store::EventRow>& events);
  Task* find(std::uint64_t id);
  Result<Task*> findScoped(std::uint64_t id, const std::optional<std::string>& scope);
  std::filesystem::path partialPath(const Task& t) const { return state_dir_ / t.partial(); }
  std::filesystem::path deliveredPath(const Task& t) const;

  // Wraps a writer completion so that it runs on the IPC thread.
  store::Writer::Done onIo(std::function<void(Result<void>)> fn);
  void persist(const Task& t, store::Durability durability = store::Durability::lifecycle);
  void publishTransient(const Task& t, const protocol::Event& event);
  void appendEvents(std::vector<store::EventRow> rows);

  // The one place a task's phase changes: refuses an illegal move (logged, false), runs what
  // leaving `from` and entering `to` mean (admission room, waiting_for, transient task_state).
  bool transition(Task& t, Phase to, StopIntent intent = StopIntent::none);
  void leavePhase(Task& t, Phase from, Phase to);
  void enterPhase(Task& t, Phase from);
  // Makes the task run: handed to the engine at once, or, when its session's window in the engine
  // is full, waiting (queued) in admission_ until a task of its session leaves the engine.
  void startEngine(Task& t);
  void handToEngine(Task& t);
  // Tasks that wait for room take a place in admission_; see engine_admission.hpp for which do not.
  std::optional<EngineAdmission::Place> admissionPlace(const Task& t) const;
  void startAdmitted(std::vector<std::uint64_t> ids);
  // Asks the engine to stop the task's job; its Finished then means `intent`.
  void stopInEngine(Task& t, StopIntent intent);
  // The machine's state (task_device.cpp): why the task may not run now, or nothing.
  std::optional<std::string_view> heldBecause(const Task& t) const;
  device::TaskNeeds needsOf(const Task& t) const;
  void countEngineJob(bool entered);
  // A held task may run again: from its stop's checkpoint once durable, else at once.
  void releaseHeld(Task& t);
  // A partial file's durable offset: fdatasync, then the offset committed (task_engine_events.cpp).
  struct Checkpoint {
    std::uint64_t id = 0;
    std::uint64_t offset = 0;      // bytes written before the sync started
    std::uint64_t generation = 0;  // a checkpoint that lands after the file restarted is dropped
    engine::Validators validators;
    std::optional<std::uint64_t> expected_total;
    std::filesystem::path path;
    std::string segments;  // a segmented download's ranges as text ('' : not segmented)
  };
  void checkpoint(Task& t, store::Durability durability);
  void submitCheckpoints(std::vector<Checkpoint> group, store::Durability durability);
  void checkpointDone(const Checkpoint& c, const Result<void>& r);
  void onResponded(Task& t, const engine::Responded& r);
  void onProgress(Task& t, const engine::Progress& p);
  void onFinished(Task& t, const engine::Finished& f);
  void onStopped(Task& t);
  void restartOnceDurable(Task& t);
  // Uploads (task_manager_uploads.cpp).
  static constexpr std::uint64_t kMaxResponseBody = 1024 * 1024;  // inline in didReceiveData
  std::filesystem::path responsePath(const Task& t) const;
  void startUploadEngine(Task& t);
  void onUploadResponded(Task& t, const engine::Responded& r);
  void onSendProgress(Task& t, const engine::SendProgress& p);
  void onUploadResourceKnown(Task& t, const engine::UploadResourceKnown& k);
  void onUploadRestarted(Task& t, const engine::UploadRestarted& r);
  void onUploadFinished(Task& t, const engine::Finished& f);
  void deliverUploadAnswer(Task& t, const engine::Finished& f);
  void commitUploadAnswer(Task& t, const engine::Finished& f, const std::string& body);
  // Streamed uploads (task_manager_streams.cpp).
  void waitForBodyStream(Task& t, const std::string& why);
  void askForBodyStream(Task& t);
  void dropBodyStream(std::uint64_t id);
  std::optional<engine::StreamBody> takeOpenedBodyStream(const Task& t);
  std::optional<Error> brokenStreamError(const Task& t, const engine::Finished& f) const;

  // Download groups (task_groups.cpp).
  TaskGroup* findGroup(std::uint64_t id);
  Result<TaskGroup*> findGroupScoped(std::uint64_t id, const std::optional<std::string>& scope);
  protocol::GroupInfo groupInfo(const TaskGroup& g) const;
  protocol::GroupProgress groupProgress(const TaskGroup& g) const;
  std::string groupWireState(const TaskGroup& g) const;
  std::optional<Error> groupRefuses(const TaskGroup& g, std::string_view verb) const;
  bool groupCommitting(std::uint64_t group) const;
  void restoreGroups(store::Snapshot& snapshot);
  void settleRestoredGroups();
  // A member's download ended well: its bytes are synced and it waits for its group (instead of
  // deliverFile). An HTTP error's body is no file of a group: the member fails.
  void holdForGroup(Task& t);
  // A member reached awaiting_group or a final phase (from enterPhase).
  void onMemberSettled(Task& t);
  void commitGroupIfComplete(TaskGroup& g);
  struct GroupCommit;
  void submitGroupCommit(std::shared_ptr<GroupCommit> commit);
  void onGroupCommitted(std::shared_ptr<GroupCommit> commit, const Result<void>& r);
  void failGroup(TaskGroup& g, const Task& cause);
  void stopMember(TaskGroup& g, Task& t);
  void scheduleGroupEnd(std::uint64_t id);
  void endGroup(TaskGroup& g);
  void forgetGroup(std::uint64_t id, std::vector<std::uint64_t>& forgotten);
  void publishGroupProgress(const Task& t);

  // Ends (task_ending.cpp). Every end is a TaskEnding: the task goes to `ending`, the work
  // commits its final row and events in one transaction, and commitEnding applies the one retry
  // rule. deliverFile: a download's file goes into place. endTask: failed or cancelled; with
  // keep_resume_data the partial file becomes a resume token and didComplete carries the blob.
  struct TaskEnding;
  struct FileDelivery;
  void deliverFile(Task& t);
  std::shared_ptr<TaskEnding> makeDelivery(Task& t);  // the ending deliverFile commits, also a group's
  static Result<void> placeFile(FileDelivery& d);
  void submitDeliveries();
  static Result<void> deliverGroup(store::Store& s, std::vector<std::shared_ptr<TaskEnding>>& group,
                                   std::vector<Result<void>>& outcomes);
  void endTask(Task& t, Phase final_phase, Error error, bool keep_resume_data, ResumeDataReply reply = {});
  void commitEnding(Task& t, std::shared_ptr<TaskEnding> ending);
  void submitEnding(std::shared_ptr<TaskEnding> ending);
  void onEndingCommitted(std::shared_ptr<TaskEnding> ending, Result<void> r);
  void settleEnding(Task& t, TaskEnding& ending, const Result<void>& r);
  // Queues didBecomeInvalid when the session is invalidating and none of its tasks is still going.
  void maybeEndInvalidation(const std::string& session);
  // A token taken by a create is marked used while that create commits (a second use is refused):
  // spent when the commit succeeded, free again when it failed (the resume data still works).
  void settleResumeToken(const std::string& token, bool spent);
  // Takes the token (single use) and sets the task's request, offset and validators from it.
  Result<store::ResumeTokenRow> adoptResumeData(Task& t, const std::string& blob);
  Result<protocol::LocalResumeStore::Claim> adoptLocalResumeData(Task& t, const std::string& blob);
  // The unused token a resume blob names, after checking its signature, session and kind.
  Result<std::map<std::string, store::ResumeTokenRow>::iterator> findResumeToken(const std::string& blob,
                                                                                  const std::string& session, bool upload);
  // What a cancelled upload's token carries (task_manager_uploads.cpp); the token is taken.
  struct ResumedUpload {
    engine::HttpRequest request;
    UploadSpec upload;
    std::string token;
    std::filesystem::path kept_body;  // the spooled body kept in resume/, or empty
  };
  Result<ResumedUpload> adoptUploadResumeData(const std::string& blob, const std::string& session);
  // Redirect decisions (task_manager_redirects.cpp).
  void onRedirectProposed(Task& t, const engine::RedirectProposed& r);
  void askForRedirectDecision(Task& t);
  void settleRedirect(std::uint64_t id, bool follow, std::string_view why);
  void followPendingRedirects(const std::string& session);

  boost::asio::io_context& io_;
  DurableWrites& writer_;
  TransferEngine& engine_;
  SessionBook& sessions_;
  EventOutbox& outbox_;
  const ResumeDataCodec& codec_;
  std::filesystem::path state_dir_;
  std::chrono::milliseconds checkpoint_interval_;
  std::map<std::uint64_t, Task> tasks_;
  std::map<std::uint64_t, TaskGroup> groups_;
  bool restoring_ = false;  // restore(): members settle their groups once every task is back
  EngineAdmission admission_;
  std::map<std::string, store::ResumeTokenRow> tokens_;
  std::set<std::string> invalidation_queued_;  // didBecomeInvalid is in the outbox
  // Streamed uploads: the pipe offered to the application (read end held so that its open for
  // writing succeeds), and what the application said its stream held when it ended.
  struct BodyStreamOffer {
    UniqueFd read_end;
    std::filesystem::path pipe;
    bool opened = false;
  };
  std::map<std::uint64_t, BodyStreamOffer> stream_offers_;
  std::map<std::uint64_t, std::uint64_t> stream_ends_;
  std::uint64_t stream_serial_ = 0;
  // Redirects waiting for the application's decision, with the timer that follows them.
  struct PendingRedirect {
    engine::RedirectProposed proposal;
    std::shared_ptr<boost::asio::steady_timer> deadline;
  };
  std::map<std::uint64_t, PendingRedirect> pending_redirects_;
  std::uint64_t last_task_id_ = 0;
  std::map<std::string, RateMeter> rates_;  // by session
  std::function<device::DeviceView()> device_view_;
  std::function<void(bool)> on_engine_busy_;
  std::vector<std::function<void()>> idle_waiters_;
  std::size_t engine_jobs_ = 0;  // tasks whose phase holds an engine job
  bool shutting_down_ = false;               // the engine is gone: nothing is handed to it
  // While onEngineEvents handles a turn: its finished downloads and its checkpoints are made
  // durable together at the turn's end.
  bool in_engine_turn_ = false;
  std::vector<Checkpoint> gathered_checkpoints_;
  // Finished downloads waiting to be made durable as one group (submitDeliveries): those of the
  // engine turn being handled, or that came while a group was in flight.
  bool delivery_in_flight_ = false;
  std::vector<std::shared_ptr<TaskEnding>> gathered_deliveries_;
};

}  // namespace ferry::daemon
