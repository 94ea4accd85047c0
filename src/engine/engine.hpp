#pragma once
// The transfer engine: libcurl multi on its own thread (curl_multi_poll, woken by
// curl_multi_wakeup when commands are queued). It knows nothing of IPC or storage.
//
// Commands (start/stop/setGroupLimits/restartFrom) may be called from any thread; they are queued
// and the transfer thread picks them up. Events come back through the Sink, called on the transfer
// thread: the sink must be cheap and must not call back into the Engine (post to your executor).

#include <functional>
#include <memory>
#include <string>

#include "engine/transfer.hpp"

namespace ferry::engine {

class Engine {
 public:
  using Sink = std::function<void(EngineEvent)>;

  Engine(Sink sink, EngineOptions options = {});
  ~Engine();  // stops the transfer thread; running jobs are abandoned without events
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues a download. The job waits for a free slot (Waiting events tell why), then runs,
  // retrying transient failures with exponential back-off and jitter until its resource deadline.
  // A bad URL, scheme, method or header gives a Finished with the error at once. A start() with
  // the id of a job the engine still has is ignored (stop it and wait for its Finished first).
  void start(DownloadJob job);

  // Ends a job (cancel or suspend: the engine does not care which). A Finished with error
  // "cancelled" follows, carrying the bytes in the partial file and the validators.
  // Unknown ids are ignored.
  void stop(TaskId id);

  // The owner could not make the file durable past `offset` (a failed fdatasync): abort the
  // current attempt, cut the partial file to `offset`, and continue from there.
  void restartFrom(TaskId id, std::uint64_t offset);

  void setGroupLimits(const std::string& group, GroupLimits limits);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::engine
