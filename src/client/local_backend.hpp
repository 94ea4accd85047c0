#pragma once
// A default or ephemeral session's backend: its tasks run in this process, on a transfer engine
// of its own (src/engine, its own transfer thread), without ferryd. Nothing is durable: files live
// in a private temporary directory removed with the session; only resume data outlives it
// (protocol/local_resume_data.hpp).
//
// Threads: application threads call the commands; the engine's sink gathers each loop turn's
// events and hands them to one event thread (`events_`), which updates the tasks under `mutex_`
// and hands the delegate's events to `deliver_`, a turn's at once. The delegate thread (Session)
// never runs engine work, so a delegate that blocks stops no transfer.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "common/worker_thread.hpp"
#include "engine/engine.hpp"
#include "ferry/configuration.hpp"
#include "local_task.hpp"
#include "protocol/local_resume_data.hpp"
#include "session_backend.hpp"

namespace ferry {

class LocalBackend final : public SessionBackend {
 public:
  static Result<std::unique_ptr<LocalBackend>> open(const Configuration& configuration, Deliver deliver);
  ~LocalBackend() override;  // stops every transfer; the session's files go

  Result<TaskInfo> createDownload(const protocol::CreateDownload& create) override;
  Result<TaskInfo> createDataTask(const protocol::CreateDownload& create) override;
  Result<TaskInfo> createUpload(const protocol::CreateUpload& create) override;
  Result<TaskInfo> command(protocol::TaskVerb verb, std::uint64_t id) override;
  Result<std::string> cancelProducingResumeData(std::uint64_t id) override;
  Result<std::vector<TaskInfo>> allTasks() override;
  // Groups need ferryd (their atomic commit survives this process): refused with invalid-state.
  Result<GroupInfo> createGroup(const protocol::CreateGroup& create) override;
  Result<GroupInfo> groupCommand(protocol::TaskVerb verb, std::uint64_t id) override;
  Result<std::string> cancelGroupProducingResumeData(std::uint64_t id) override;
  Result<std::vector<GroupInfo>> allGroups() override { return std::vector<GroupInfo>{}; }
  Result<void> invalidate(bool cancel) override;
  void decideRedirect(std::uint64_t id, bool follow) override;
  Result<void> bodyStreamOpened(std::uint64_t id) override;
  void bodyStreamEnded(std::uint64_t id, std::uint64_t bytes) override;
  void delivered(const Delivery& delivery) override;

 private:
  LocalBackend(const Configuration& configuration, Deliver deliver, std::filesystem::path directory,
               std::filesystem::path memory_directory);

  // local_backend.cpp: tasks and commands
  Result<TaskInfo> addDownload(const protocol::CreateDownload& create, LocalKind kind);
  Result<void> adoptResumeData(LocalTask& t, const std::string& blob);
  Result<std::string> exportFromDaemon(const std::string& blob);
  Result<void> prepareUploadBody(LocalTask& t, const protocol::CreateUpload& create);
  TaskInfo add(LocalTask t, bool start);
  LocalTask* find(std::uint64_t id);
  Result<LocalTask*> findOpen(std::uint64_t id, std::string_view verb);
  Result<TaskInfo> suspend(LocalTask& t);
  Result<TaskInfo> resume(LocalTask& t);
  Result<TaskInfo> cancel(LocalTask& t);
  TaskInfo infoOf(const LocalTask& t) const;
  void emit(const LocalTask& t, protocol::Event event);
  // Every delivery goes through here (under mutex_): gathered while the event thread handles a
  // turn's engine events and handed over after them, handed over at once otherwise (a command on an application thread
  // first hands over what was gathered, so the order stays the order they were made in).
  void send(Delivery d);
  void handOverGathered();

  // local_engine_events.cpp: the task's life in the engine, and its end
  void startEngine(LocalTask& t);
  void startUploadJob(LocalTask& t);
  void askForBodyStream(LocalTask& t);
  void stopEngine(LocalTask& t, LocalStop why);
  void onEngineEvent(engine::Event& event);  // moves a data task's body out of its Finished
  void onResponded(LocalTask& t, const engine::Responded& r);
  void onProgress(LocalTask& t, const engine::Progress& p);
  void onFinished(LocalTask& t, engine::Finished& f);
  void onStopped(LocalTask& t);
  void finishDownload(LocalTask& t);
  void finishData(LocalTask& t);
  void finishUpload(LocalTask& t, const engine::Finished& f);
  void end(LocalTask& t, LocalState state, std::optional<Error> error, std::optional<std::string> resume_data = {});
  std::optional<std::string> keepForResume(LocalTask& t);
  void becomeInvalidIfDone();

  Configuration configuration_;
  Deliver deliver_;
  // Private, removed in the destructor: files that stay files (downloads, upload bodies) in
  // $TMPDIR; upload answers, which end in memory, in a memory file system.
  std::filesystem::path dir_;
  std::filesystem::path memory_dir_;
  std::mutex mutex_;
  std::map<std::uint64_t, LocalTask> tasks_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::vector<model::Header>> response_headers_;  // data tasks and uploads
  bool invalidating_ = false;
  bool invalid_sent_ = false;
  Deliveries gathered_;        // made by the event thread, not handed over yet
  bool on_event_thread_ = false;  // the event thread holds mutex_ (handling an engine event)
  // Destroyed in this order: the engine (no more events), then the event thread (drains).
  std::unique_ptr<WorkerThread<std::vector<engine::Event>>> events_;
  std::vector<engine::Event> turn_events_;  // the transfer thread's: this loop turn's events
  std::unique_ptr<engine::Engine> engine_;
};

}  // namespace ferry
