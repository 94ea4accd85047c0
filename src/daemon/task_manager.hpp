#pragma once
// TaskManager owns every DownloadTask and is the only place their state changes. It turns
// application requests and engine events into engine commands, writer Work (durable state) and
// outbox events. Runs on the IPC thread; engine events and writer completions are posted to it.
//
// Durability rules it enforces (DESIGN.md):
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

#include "daemon/download_task.hpp"
#include "daemon/event_outbox.hpp"
#include "daemon/resume_data.hpp"
#include "engine/engine.hpp"
#include "protocol/messages.hpp"
#include "store/store.hpp"
#include "store/writer.hpp"

namespace ferry::daemon {

struct NewDownload {
  std::string session;
  engine::HttpRequest request;
  std::string destination;
  std::string description;
  std::optional<std::string> resume_data;
  bool start = false;  // URLSession tasks are created suspended; resume() starts them
  protocol::SessionConfig config;
};

class TaskManager {
 public:
  using Reply = std::function<void(Result<protocol::TaskInfo>)>;
  using ResumeDataReply = std::function<void(Result<std::string>)>;

  TaskManager(boost::asio::io_context& io, store::Writer& writer, engine::Engine& engine, EventOutbox& outbox,
              const ResumeDataCodec& codec, std::filesystem::path state_dir,
              std::chrono::milliseconds checkpoint_interval);

  // At start-up: tasks that were running are cut back to their durable offset and restarted.
  // `invalidating`: sessions whose invalidation was asked for and not yet acknowledged.
  void restore(const store::Snapshot& snapshot, const std::map<std::string, protocol::SessionConfig>& configs,
               const std::set<std::string>& invalidating);

  // The reply comes once the task is durable, so an id a client saw survives a crash.
  void createDownload(NewDownload spec, Reply reply);
  // `scope`: an attached client may only touch its own session's tasks; control connections any.
  Result<protocol::TaskInfo> suspend(std::uint64_t id, const std::optional<std::string>& scope);
  Result<protocol::TaskInfo> resume(std::uint64_t id, const std::optional<std::string>& scope);
  Result<protocol::TaskInfo> cancel(std::uint64_t id, const std::optional<std::string>& scope);
  void cancelWithResumeData(std::uint64_t id, const std::optional<std::string>& scope, ResumeDataReply reply);
  void cancelAll(const std::string& session);

  // finishTasksAndInvalidate (cancel_tasks false) and invalidateAndCancel (true): the session takes
  // no new tasks; once every task has ended, didBecomeInvalid is queued after their events. When
  // the application acknowledges it, the session is forgotten and its identifier is free again.
  // Durable: a restart in between keeps the session invalidating.
  // `done` runs (on the IPC thread) once the invalidating mark is durable.
  void invalidate(const std::string& session, bool cancel_tasks, std::function<void(Result<void>)> done);
  bool isInvalidating(const std::string& session) const { return invalidating_.count(session) != 0; }

  std::vector<protocol::TaskInfo> list(const std::optional<std::string>& session) const;
  std::map<std::string, int> countByState() const;

  void onEngineEvent(const engine::EngineEvent& event);
  // An acknowledged event: delivered files left in delivered/ are removed, and a finished task
  // whose events are all acknowledged is forgotten.
  void onEventAcked(const store::EventRow& row);
  // Records (durably) the configuration a client attached with.
  void setSessionConfig(const std::string& session, const protocol::SessionConfig& config);

  // SIGTERM: make every running task's written bytes durable (the engine must be stopped first).
  void checkpointAllForShutdown();

 private:
  DownloadTask* find(std::uint64_t id);
  Result<DownloadTask*> findScoped(std::uint64_t id, const std::optional<std::string>& scope);
  std::filesystem::path partialPath(const DownloadTask& t) const { return state_dir_ / t.partial; }
  std::filesystem::path deliveredPath(const DownloadTask& t) const;

  // Wraps a writer completion so that it runs on the IPC thread.
  store::Writer::Done onIo(std::function<void(Result<void>)> fn);
  void persist(const DownloadTask& t, store::Durability durability = store::Durability::lifecycle);
  void publishTransient(const DownloadTask& t, std::string_view type, protocol::Json payload);
  void appendEvents(std::vector<store::EventRow> rows);

  void startEngine(DownloadTask& t);
  void checkpoint(DownloadTask& t, store::Durability durability);
  void onResponded(DownloadTask& t, const engine::Responded& r);
  void onProgress(DownloadTask& t, const engine::Progress& p);
  void onFinished(DownloadTask& t, const engine::Finished& f);
  void onStopped(DownloadTask& t);
  void finalizeFile(DownloadTask& t);
  // Ends the task (failed or cancelled); with keep_resume_data the partial file becomes a
  // resume token and didComplete carries the blob.
  void endTask(DownloadTask& t, TaskState final_state, Error error, bool keep_resume_data, ResumeDataReply reply = {});
  void persistSession(const std::string& session, std::function<void(Result<void>)> done = {});
  // Queues didBecomeInvalid when the session is invalidating and none of its tasks is still going.
  void maybeEndInvalidation(const std::string& session);
  Result<void> adoptResumeData(DownloadTask& t, const std::string& blob, std::string& token_out);

  boost::asio::io_context& io_;
  store::Writer& writer_;
  engine::Engine& engine_;
  EventOutbox& outbox_;
  const ResumeDataCodec& codec_;
  std::filesystem::path state_dir_;
  std::chrono::milliseconds checkpoint_interval_;
  std::map<std::uint64_t, DownloadTask> tasks_;
  std::map<std::string, store::ResumeTokenRow> tokens_;
  std::map<std::string, protocol::SessionConfig> configs_;
  std::set<std::string> invalidating_;
  std::set<std::string> invalidation_queued_;  // didBecomeInvalid is in the outbox
  std::uint64_t last_task_id_ = 0;
};

}  // namespace ferry::daemon
