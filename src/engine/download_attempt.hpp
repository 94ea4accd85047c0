#pragma once
// One attempt of a download: a curl easy handle in the multi handle, its request headers, its
// callbacks, and the decision of where (and whether) the response body goes into the partial file
// (or into memory, for a job that keeps its body there).

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "common/writeback.hpp"
#include "engine/attempt.hpp"
#include "engine/curl_handles.hpp"
#include "engine/job.hpp"
#include "common/write_behind.hpp"

namespace ferry::engine {

// ---- What every download transfer (this attempt, a segment's: segmented_attempt.hpp) shares ----

// What one easy handle of a download points at (owned by its attempt).
struct DownloadHandle {
  char* error_buffer;
  curl_slist* headers;
  curl_write_callback write;
  void* write_data;
  std::uint64_t rate_limit;  // 0: none
  const std::string* url = nullptr;  // nullptr: the job's request's
};
// The job's request, transport, timeouts and buffer on `easy`.
CURLcode setDownloadOptions(CURL* easy, const Job& job, const EngineOptions& options, const DownloadHandle& handle);
// The receive buffer for a transfer limited to `rate_limit` bytes/s (0: `buffer_size`).
long receiveBufferSize(std::uint64_t rate_limit, long buffer_size);
// The caller's own header fields, in order. False: out of memory.
bool appendCallerHeaders(HeaderList& list, const HttpRequest& request);
bool hasCallerRange(const HttpRequest& request);
// A header field of the final response (after redirects), trimmed; "" when absent.
std::string lastResponseHeader(CURL* easy, const char* name);
// A 408, 429 or 5xx for `what` (a URL, "a range of URL"): transient, after the server's
// Retry-After when it sent one.
AttemptOutcome overloadedAnswer(CURL* easy, long status, const std::string& what);
// The job's file holds its whole body: success if every digest matches; else the one refetch
// from zero (the file cut to 0 now), or the end with `integrity`.
AttemptOutcome verifyFile(Job& job);

class DownloadAttempt final : public Attempt {
 public:
  // Starts the next attempt of `job` (its partial file must be open) in `multi`. Big chunks of the
  // body are written on `write_behind` and hashed on `hash_behind` (nullptr: on the transfer thread).
  static Result<std::unique_ptr<DownloadAttempt>> start(Job& job, CURLM* multi, const EngineOptions& options,
                                                         const EventSink& sink, files::WriteBehind* write_behind,
                                                         HashBehind* hash_behind);
  // Waits for the write in flight, then removes the handle from the multi handle.
  ~DownloadAttempt() override;
  DownloadAttempt(const DownloadAttempt&) = delete;
  DownloadAttempt& operator=(const DownloadAttempt&) = delete;

  // Called once curl reports the transfer done with `result`.
  AttemptOutcome finish(CURLcode result) override;
  CURL* transferHandle() const override { return easy_.get(); }
  void setRateLimit(std::uint64_t bytes_per_second) override;
  bool settleWrites() override;

 private:
  DownloadAttempt(Job& job, CURLM* multi, const EngineOptions& options, const EventSink& sink,
                  files::WriteBehind* write_behind, HashBehind* hash_behind);
  Result<void> configure();
  Result<void> buildHeaders();
  // A 206 from `requested_offset_` of an entity of `total` bytes with `validators`: plans the
  // segments (DownloadPart::segments) and ends this attempt with `split`. False (and
  // single_connection_reason_ says why, when it is the server's doing) when it stays one transfer.
  bool splitIntoSegments(std::optional<std::uint64_t> total, const Validators& validators);

  static size_t onWrite(char* data, size_t size, size_t count, void* self);
  size_t writeBody(const char* data, size_t size);
  // The job's body is kept in memory (DownloadPart::memory): appends and counts, or notes in
  // write_error_ that it would pass the limit.
  bool keepInMemory(const char* data, size_t size);
  // Waits for the write in flight, if any, and counts it. False (write_error_ set) if it failed.
  bool awaitWrite();
  // Waits for the write in flight, then writes what was gathered: on the write-behind thread when
  // it is big, else here. False (write_error_ set) on a failure.
  bool handOff();
  // Everything gathered is in the file and counted, or write_error_ says why not.
  bool flushWrites();
  // A write finished: counts its bytes (bytes_in_file, writeback, Progress), or notes its failure
  // in write_error_ and returns false.
  bool account(const files::WriteResult& written);

  // Looks at the final response once (first body bytes or end of transfer).
  void decideOnResponse();
  void decideOnPartialContent(const Validators& response_validators);
  void decideOnRangeNotSatisfiable();
  void acceptBody(long status, std::uint64_t offset, std::optional<std::uint64_t> expected_total,
                  const Validators& response_validators);
  // The digests of the whole representation this response announces, and the header's name.
  std::pair<std::vector<Digest>, std::string> announcedDigests(long status) const;
  // The transfer ended well: success if every digest matches; else the one refetch from zero,
  // or the end with `integrity`.
  AttemptOutcome verifiedSuccess();
  std::string header(const char* name) const;
  Validators responseValidators() const;
  std::optional<std::uint64_t> contentLength() const;  // of this response's body, when announced
  std::vector<Header> responseHeaders() const;

  Job& job_;
  DownloadPart& down_;  // job_'s
  CURLM* multi_;
  const EngineOptions& options_;
  const EventSink& sink_;
  // What the easy handle points at is declared first, so that it outlives the handle.
  HeaderList headers_;
  char error_buffer_[CURL_ERROR_SIZE] = {};
  EasyHandle easy_;
  std::uint64_t requested_offset_ = 0;  // what our Range asked for (0: no Range)
  bool caller_range_ = false;           // the request carries the caller's own Range header
  bool may_split_ = false;              // several connections are asked for and none planned yet
  std::string single_connection_reason_;
  bool in_multi_ = false;

  bool decided_ = false;
  bool accepting_body_ = false;
  std::optional<AttemptOutcome> verdict_;  // set when the response itself ends the attempt
  std::optional<Error> write_error_;
  bool made_progress_ = false;
  files::WritebackStarter writeback_;  // see common/writeback.hpp
  // Write-behind (common/write_behind.hpp): the body is gathered per loop turn in pending_; a big
  // turn's worth is written on write_behind_ while the next is received. Bytes count (bytes_in_file,
  // Progress, and so checkpoints) only once their write has finished; at most one write is in
  // flight, and the attempt waits for it before it reports its end or is destroyed, so that
  // outside an attempt no write is pending and the engine may cut or close the file.
  files::WriteBehind* write_behind_;
  std::vector<char> pending_;                        // received, not handed to a write yet
  bool direct_writes_ = false;  // a small announced body: written as it comes, not gathered
  std::vector<char> chunk_;                          // the bytes of the write in flight
  std::optional<std::future<files::WriteResult>> in_flight_;
  HashBehind* hash_behind_;
  std::optional<std::future<void>> hash_in_flight_;  // the hash of chunk_, while it is written
  std::uint64_t discarded_bytes_ = 0;
};

}  // namespace ferry::engine
