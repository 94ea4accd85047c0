#pragma once
// Engine's insides, shared by the files that define them, one concern each:
//   engine.cpp          the commands: queued from any thread, applied on the transfer thread
//   engine_states.cpp   a job's states (changeState) and what moves it between them
//   engine_loop.cpp     the transfer thread's loop around the curl multi handle, and the rates
//   engine_finish.cpp   the end of a job and its Finished event
// Only engine*.cpp include this.

#include <curl/curl.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "common/error.hpp"
#include "common/write_behind.hpp"
#include "engine/bandwidth.hpp"
#include "engine/curl_handles.hpp"
#include "engine/engine.hpp"
#include "engine/job.hpp"
#include "engine/scheduler.hpp"

namespace ferry::engine {

struct StartCommand {
  DownloadJob job;
};
struct StartUploadCommand {
  UploadJob job;
};
struct DecideRedirectCommand {
  TaskId id;
  bool follow;
};
struct StopCommand {
  TaskId id;
};
struct RestartCommand {
  TaskId id;
  std::uint64_t offset;
};
struct LimitsCommand {
  std::string group;
  GroupLimits limits;
};
struct BandwidthCommand {
  BandwidthLimits limits;
};
using Command = std::variant<StartCommand, StartUploadCommand, DecideRedirectCommand, StopCommand, RestartCommand,
                             LimitsCommand, BandwidthCommand>;

struct Engine::Impl {
  Impl(Sink event_sink, EngineOptions engine_options);

  // ---- any thread (engine.cpp) ----
  void push(Command command);
  void shutdown();

  // ---- transfer thread: commands (engine.cpp) ----
  bool applyCommands();  // false when the engine is shutting down
  void apply(StartCommand& command);
  void apply(StartUploadCommand& command);
  void apply(DecideRedirectCommand& command);
  void apply(StopCommand& command);
  void apply(RestartCommand& command);
  void apply(LimitsCommand& command);
  void apply(BandwidthCommand& command);
  void failAtStart(TaskId id, Error error, bool upload);
  // A checked job joins the others: numbered in arrival order and entered into its first state.
  void admit(std::unique_ptr<Job> job, const std::string& host_key);
  Job* find(TaskId id);

  // ---- transfer thread: states (engine_states.cpp) ----
  void enter(Job& job);
  void changeState(Job& job, JobState next);
  void leaveState(Job& job);
  void closeAttempt(Job& job);
  static std::pair<double, std::uint64_t> queueKey(const Job& job);
  void setWaiting(Job& job, const std::string& reason);
  void noteQueuedReason(Job& job);
  void wakeBackedOffJobs();
  void startRunnableJobs();
  bool waitsForRegularWork(const Job& job) const;
  void settleAtTotalLimit(Job& from);
  void startAttempt(Job& job);
  void startSegmentedAttempt(Job& job);
  Result<void> openPartialFile(Job& job);
  void handleOutcome(Job& job, AttemptOutcome outcome);
  void retryLater(Job& job, AttemptOutcome outcome);
  // A download's first attempt (no plan yet) failed at its URL while another URL of it is still
  // used: that URL is dropped and the next one is asked at once (download_sources.hpp).
  bool triedAnotherSource(Job& job, const AttemptOutcome& outcome);

  // ---- transfer thread: the loop and the rates (engine_loop.cpp) ----
  void run();
  void pollAndUnpause();
  void handleCompletedTransfers();
  void flushLateProgress();
  int pollTimeoutMs() const;
  std::vector<std::uint64_t> shares(std::vector<Job*>& jobs_out, Job* extra) const;
  std::uint64_t startingRate(Job& job) const;
  void rebalanceRates();

  // ---- transfer thread: the end (engine_finish.cpp) ----
  void finishJob(Job& job, std::optional<Error> error);

  Sink sink;
  const EngineOptions options;
  MultiHandle multi;  // declared before the jobs: their attempts leave it when destroyed
  files::WriteBehind write_behind;  // before the jobs too: their attempts wait for their writes when destroyed
  HashBehind hash_behind;           // likewise, for the hashes of those writes (engine/download_integrity.hpp)

  std::mutex mutex;
  std::deque<Command> commands;  // guarded by mutex
  bool stopping = false;         // guarded by mutex

  // Transfer thread only.
  Scheduler scheduler;
  std::map<TaskId, std::unique_ptr<Job>> jobs;
  std::map<std::pair<double, std::uint64_t>, Job*> queue;  // queued jobs: priority, then arrival
  std::set<std::pair<Clock::time_point, TaskId>> backoff_timers;
  std::set<Job*> running_jobs;
  // Queued jobs whose last Waiting is not "concurrency-limit": the only ones a pass that finds
  // the engine full must still tell (settleAtTotalLimit).
  std::unordered_set<Job*> queued_not_at_limit;
  std::uint64_t next_sequence = 0;
  std::vector<curl_waitfd> waitfds;  // pollAndUnpause's scratch
  std::vector<Job*> paused;
  bool schedule_needed = false;
  bool writes_in_flight = false;  // an attempt's body write is on the write-behind thread
  BandwidthLimits bandwidth;
  bool rates_dirty = false;   // running transfers' shares must be computed again
  int running_regular = 0;    // running jobs that are not discretionary
  int queued_regular = 0;     // queued jobs that are not discretionary
  std::mt19937_64 rng{std::random_device{}()};

  std::thread thread;  // last: starts after everything above exists
};

}  // namespace ferry::engine
