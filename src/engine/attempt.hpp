#pragma once
// What every attempt (one curl easy handle in the multi handle) gives the engine: how it ended
// and what to do next. Downloads (download_attempt.*) and uploads (upload_attempt.*) implement it.

#include <curl/curl.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace ferry::engine {

// How an attempt ended, and what the engine does next.
struct AttemptOutcome {
  enum class Kind {
    success,            // the file holds the whole entity (or the answer, for HEAD)
    transient,          // retry after a back-off
    restart_from_zero,  // our bytes do not fit the server's entity: retry at once without Range
    permanent,          // the job is over with `error`
    next_request,       // uploads: the next request of the same attempt (HEAD then PATCH, a redirect) now
    hold,               // uploads: RedirectProposed was sent; wait for decideRedirect
    split,              // downloads: the entity can be fetched in segments (planned in the job): start again at once
  };
  Kind kind = Kind::success;
  std::optional<Error> error;
  std::optional<std::chrono::seconds> retry_after;  // server's Retry-After
  bool made_progress = false;                        // bytes were written (sent) by this attempt
};

inline AttemptOutcome outcome(AttemptOutcome::Kind kind, std::optional<Error> error = std::nullopt) {
  AttemptOutcome out;
  out.kind = kind;
  out.error = std::move(error);
  return out;
}
inline AttemptOutcome transient(std::string_view code, std::string message) {
  return outcome(AttemptOutcome::Kind::transient, Error(code, std::move(message)));
}
inline AttemptOutcome permanent(std::string_view code, std::string message) {
  return outcome(AttemptOutcome::Kind::permanent, Error(code, std::move(message)));
}

inline bool isRetryableStatus(long status) { return status == 408 || status == 429 || status >= 500; }

// Maps a curl failure (no usable HTTP answer) to a transient or permanent outcome.
AttemptOutcome classifyCurlFailure(CURLcode code, const std::string& detail, const std::string& url,
                                   std::chrono::seconds stall_timeout);

// "404 Not Found" (the reason phrase is ours: HTTP/2 has none on the wire).
std::string describeStatus(long status);

class Attempt {
 public:
  virtual ~Attempt() = default;
  // Called once curl reports the transfer done with `result`.
  virtual AttemptOutcome finish(CURLcode result) = 0;
  // Called when curl reports one of the attempt's transfers (`easy`) done: its outcome, or none
  // while the attempt still runs other transfers (a segmented download's connections).
  virtual std::optional<AttemptOutcome> transferDone(CURL* easy, CURLcode result) {
    (void)easy;
    return finish(result);
  }
  // The easy handle (for its transfer info: attempt_metrics.hpp), valid while the attempt lives.
  virtual CURL* transferHandle() const = 0;
  // A streamed upload body that returned CURL_READFUNC_PAUSE waits for this descriptor to become
  // readable (the loop adds it to curl_multi_poll's extra_fds); -1 when not paused.
  virtual int pausedFd() const { return -1; }
  // The paused descriptor is readable (or hung up): unpause the transfer.
  virtual void unpause() {}
  // Counts a body write handed to another thread if it has finished (without waiting for it).
  // Returns true while a write is still in flight. See common/write_behind.hpp.
  virtual bool settleWrites() { return false; }
  // A new speed limit for the running transfer (bytes/s, 0: none), applied by the next read/send.
  virtual void setRateLimit(std::uint64_t bytes_per_second) = 0;
};

}  // namespace ferry::engine
