#pragma once
// One request of an upload: a curl easy handle in the multi handle. Which request it is (the
// application's own, a HEAD of the upload resource, a PATCH from the server's offset, or a
// redirect's next request) comes from the job's UploadPart; what happens next is decided in
// finish() and written back there. What differs between the resumable-upload protocols (the
// fields sent, what an answer means) is asked of the part's UploadProtocol.
//
// The methods are defined by concern: the request and its answer on the wire (upload_attempt.cpp),
// the body source (upload_body.cpp), and the decision on the answer (upload_decisions.cpp).

#include <curl/curl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "engine/attempt.hpp"
#include "engine/curl_handles.hpp"
#include "engine/job.hpp"
#include "engine/upload_flow.hpp"

namespace ferry::engine {

class UploadAttempt final : public Attempt {
 public:
  // Starts the next request of `job` (an upload) in `multi`. A permanent problem found before any
  // byte moves (the file changed, a stream that cannot be resent) comes back as the error.
  static Result<std::unique_ptr<UploadAttempt>> start(Job& job, CURLM* multi, const EngineOptions& options,
                                                       const EventSink& sink);
  ~UploadAttempt() override;
  UploadAttempt(const UploadAttempt&) = delete;
  UploadAttempt& operator=(const UploadAttempt&) = delete;

  AttemptOutcome finish(CURLcode result) override;
  CURL* transferHandle() const override { return easy_.get(); }
  int pausedFd() const override;
  void unpause() override;
  void setRateLimit(std::uint64_t bytes_per_second) override;

 private:
  UploadAttempt(Job& job, CURLM* multi, const EngineOptions& options, const EventSink& sink);
  Result<void> prepareBody();
  Result<void> configure();
  Result<void> buildHeaders();
  long bufferSize() const;

  static size_t onRead(char* buffer, size_t size, size_t count, void* self);
  static int onSeek(void* self, curl_off_t offset, int origin);
  static size_t onHeader(char* data, size_t size, size_t count, void* self);
  static size_t onWrite(char* data, size_t size, size_t count, void* self);
  size_t readBody(char* buffer, size_t size);
  size_t readFile(char* buffer, size_t size);
  size_t readStream(char* buffer, size_t size);
  void headerLine(std::string_view line);
  void endOfHeaderBlock();
  size_t writeBody(const char* data, size_t size);
  bool keepsBodyOf(long status) const;
  Result<void> beginResponseBody();

  // Decisions on the final answer, by request kind.
  AttemptOutcome decide(long status);
  AttemptOutcome decideCreate(long status);
  AttemptOutcome decideProbe(long status);
  AttemptOutcome decideAppend(long status);
  AttemptOutcome decideRedirect(long status);
  AttemptOutcome failedTransiently(AttemptOutcome out);
  AttemptOutcome restartFromZero(std::string reason);
  AttemptOutcome deliver(std::optional<Error> error = std::nullopt);
  AttemptOutcome httpError(long status);
  void learnUploadUrl(std::string url);
  std::string header(std::string_view name) const;
  std::optional<std::uint64_t> uploadOffset() const;

  Job& job_;
  UploadPart& up_;
  const UploadProtocol& protocol_;
  CURLM* multi_;
  const EngineOptions& options_;
  const EventSink& sink_;
  HeaderList headers_;
  char error_buffer_[CURL_ERROR_SIZE] = {};
  EasyHandle easy_;
  bool in_multi_ = false;

  std::string url_;     // of this request
  std::string method_;  // of this request
  bool with_body_ = false;
  std::uint64_t body_start_ = 0;  // the body is sent from this byte
  std::uint64_t body_read_ = 0;   // bytes handed to curl, from body_start_
  UniqueFd source_;               // a file source, opened for this request
  bool paused_ = false;
  std::optional<Error> read_error_;
  std::optional<Error> write_error_;

  // The answer as it arrives through the header callback (1xx blocks, then the final one).
  long block_status_ = 0;
  std::vector<Header> block_headers_;
  bool final_seen_ = false;
  bool keep_body_ = false;
  std::uint64_t discarded_bytes_ = 0;
  bool discard_limit_hit_ = false;
};

}  // namespace ferry::engine
