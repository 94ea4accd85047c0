#pragma once
// One attempt of a segmented download (HttpRequest::connections > 1, docs/architecture.md
// "Segmented downloads"): up to N ranged transfers in the multi handle at once, each filling its
// own segment of the partial file (DownloadPart::segments) with pwrite. A transfer whose segment
// is done takes the not-started segment with the lowest offset, or else halves the segment with
// the most bytes left (work stealing: the slow connection's range shrinks, and it stops when it
// reaches the new end). The attempt ends when every segment is done (then the whole file is
// hashed once, if a digest is to be checked) or when one transfer fails: the others stop too,
// and the job backs off or restarts as one (a new attempt continues every segment where it is).
//
// How the plan is made: a DownloadAttempt asks for "Range: bytes=0-" (or its resume offset); a
// 206 with the entity's length and a validator (strong ETag or Last-Modified, sent in If-Range)
// is split by planSegments and ends with AttemptOutcome::split, and the engine starts this.

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "common/error.hpp"
#include "engine/attempt.hpp"
#include "engine/curl_handles.hpp"
#include "engine/job.hpp"

namespace ferry::engine {

// ---- Mirrors (HttpRequest::mirrors; download_sources.hpp) ----
// The plan is made from the first URL's answer; segments go to every URL. A URL whose answer does
// not fit (another length or ETag, a whole answer to If-Range, an error status), whose transfer
// fails, or that is too slow (a transfer below an eighth of the fastest one's rate after 3 s) is
// dropped (MirrorDropped, with the reason) and its segment continues from another URL. The last
// URL in use is never dropped: its failure ends the attempt as above. An answer of the request's
// own URL showing that its file changed drops every segment (it is the plan's reference).

// A segment smaller than this is not split off: a request costs more than its bytes gain.
inline constexpr std::uint64_t kMinSegmentBytes = 1024 * 1024;

// [prefix, total) in up to `connections` equal segments of at least kMinSegmentBytes, after a
// first segment [0, prefix) already filled (when prefix > 0). Empty: too small for two segments.
Segments planSegments(std::uint64_t total, std::uint64_t prefix, int connections);

// Halves the segment with the most bytes left (if at least 2 × kMinSegmentBytes): it now ends in
// its middle and a new segment from there is appended. Its index, or none.
std::optional<std::size_t> stealHalf(Segments& segments, const std::vector<bool>& in_progress);

// The segments no longer describe the server's file: the download starts over from zero.
void dropSegments(DownloadPart& down);

class SegmentedAttempt final : public Attempt {
 public:
  // Starts up to `max_connections` transfers for the job's segments that are not done (at least
  // one must be). The partial file must be open.
  static Result<std::unique_ptr<SegmentedAttempt>> start(Job& job, CURLM* multi, const EngineOptions& options,
                                                          const EventSink& sink, int max_connections);
  // The file holds every segment: success once its bytes match the digests to check.
  static AttemptOutcome verifyWhole(Job& job);
  ~SegmentedAttempt() override;
  SegmentedAttempt(const SegmentedAttempt&) = delete;
  SegmentedAttempt& operator=(const SegmentedAttempt&) = delete;

  std::optional<AttemptOutcome> transferDone(CURL* easy, CURLcode result) override;
  // Ends every transfer (the engine stopped the job). Not called by curl.
  AttemptOutcome finish(CURLcode result) override;
  CURL* transferHandle() const override;
  void setRateLimit(std::uint64_t bytes_per_second) override;

 private:
  struct Transfer;  // one ranged request (segmented_attempt.cpp)

  SegmentedAttempt(Job& job, CURLM* multi, const EngineOptions& options, const EventSink& sink, int max_connections);
  // Starts transfers for segments nobody fills while connections are free: not-started ones
  // first, else by halving the biggest. False with `failure_` set when one cannot start.
  bool fillConnections();
  bool startTransfer(std::size_t segment);
  // The URL the next transfer fetches from: the one with the fewest running transfers among the
  // request's and its mirrors not dropped (kOwnUrl, else a mirror's index).
  int pickSource() const;
  const std::string& urlOf(const Transfer& transfer) const;  // the request's or its mirror's
  // At most once a second: a transfer far slower than the fastest, from another URL, is marked;
  // its next write stops it and its URL is dropped (curl forbids removing it from here).
  void markSlowTransfers();
  static double rateOf(const Transfer& t, std::chrono::steady_clock::time_point now);
  void noteRate(const Transfer& t, std::chrono::steady_clock::time_point now);
  void removeTransfer(Transfer& transfer);
  // The outcome of a transfer that ended: none while it leaves the attempt running.
  std::optional<AttemptOutcome> judge(Transfer& transfer, CURLcode result);
  std::optional<AttemptOutcome> judgeAnswer(Transfer& transfer, CURLcode result);
  std::uint64_t shareOf(std::uint64_t rate) const;
  static size_t onWrite(char* data, size_t size, size_t count, void* self);

  Job& job_;
  DownloadPart& down_;
  CURLM* multi_;
  const EngineOptions& options_;
  const EventSink& sink_;
  int max_connections_;
  std::vector<std::unique_ptr<Transfer>> transfers_;  // running
  std::unique_ptr<Transfer> last_ended_;              // kept for its transfer info (metrics)
  std::optional<Error> failure_;
  bool made_progress_ = false;
  std::chrono::steady_clock::time_point last_speed_check_{};
  double fastest_rate_ = 0;       // bytes/s: the fastest transfer of this attempt so far
  int fastest_source_ = -1;       // its URL (kOwnUrl or a mirror's index)
};

}  // namespace ferry::engine
