#pragma once
// The transfer engine: libcurl multi on its own thread (curl_multi_poll, woken by
// curl_multi_wakeup when commands are queued). It knows nothing of IPC or storage.
//
// Commands (start/stop/setGroupLimits/restartFrom) may be called from any thread; they are queued
// and the transfer thread picks them up. Every event (transfer.hpp's Event: the ones every job
// sends and the upload-only ones) comes back through the one Sink, called on the transfer thread
// in event order: the sink must be cheap and must not call back into the Engine (post to your
// executor).

#include <functional>
#include <memory>
#include <string>

#include "engine/bandwidth.hpp"
#include "engine/transfer.hpp"

namespace ferry::engine {

class Engine {
 public:
  using Sink = std::function<void(Event)>;

  explicit Engine(Sink sink, EngineOptions options = {});
  ~Engine();  // stops the transfer thread; running jobs are abandoned without events
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues a download. The job waits for a free slot (Waiting events tell why), then runs,
  // retrying transient failures with exponential back-off and jitter until its resource deadline.
  // A bad URL, scheme, method or header gives a Finished with the error at once. A start() with
  // the id of a job the engine still has is ignored (stop it and wait for its Finished first).
  void start(DownloadJob job);

  // Queues an upload: same groups, limits, back-off, resource deadline and events as a download
  // (Waiting, Retrying, Responded for the final answer, Finished with Finished::upload), plus the
  // upload-only events (SendProgress, UploadResourceKnown, UploadRestarted, RedirectProposed). Bad URL/method/headers, a missing file, a file whose identity differs from
  // FileBody::expected, or a tus upload of a stream give a Finished with the error at once.
  //   - 4xx: the answer (status, headers, body in response_body_path) is delivered, error http-error.
  //   - 408/429/5xx, connection failures, stalls: retried with back-off. Resumable uploads whose
  //     upload URL is known continue with HEAD + PATCH from the server's offset; the others
  //     start again from byte 0 (UploadRestarted). A stream that already gave bytes cannot be
  //     retried: needs-new-body-stream.
  //   - the source file changed or vanished: source-changed / not-found, permanent.
  void start(UploadJob job);

  // RedirectPolicy::ask: follow (true) or decline (false: the 3xx is delivered as the final
  // answer, without error) the redirect of the last RedirectProposed. Ignored unless held.
  void decideRedirect(TaskId id, bool follow);

  // Ends a job (cancel or suspend: the engine does not care which). A Finished with error
  // "cancelled" follows, carrying the bytes in the partial file and the validators (uploads: the
  // upload URL and the server's last confirmed offset, resumable when there is an upload URL).
  // Unknown ids are ignored.
  void stop(TaskId id);

  // The owner could not make the file durable past `offset` (a failed fdatasync): abort the
  // current attempt, cut the partial file to `offset`, and continue from there.
  void restartFrom(TaskId id, std::uint64_t offset);

  void setGroupLimits(const std::string& group, GroupLimits limits);

  // Replaces the bandwidth limits. They are split among the running transfers they cover
  // (bandwidth.hpp) and applied at once to running transfers too (curl reads the speed limit
  // options of a running easy handle), and again whenever a transfer starts or ends.
  void setBandwidthLimits(BandwidthLimits limits);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::engine
