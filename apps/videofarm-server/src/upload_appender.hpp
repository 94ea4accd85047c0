#pragma once
// The part both resumable protocols (IETF draft, tus) share: appending a request's bytes to an
// upload's file, making progress durable before it is ever reported, and turning a complete
// upload into the video's movie.
//
// Durability rule: the offset in the catalogue (what HEAD reports) only moves after fdatasync of
// the bytes below it. On (re)opening, the file is cut back to that offset, so bytes that reached
// the file but were never synced and recorded are dropped and sent again by the client.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "app.hpp"
#include "common/unique_fd.hpp"
#include "common/writeback.hpp"
#include "http_types.hpp"

namespace vf {

class UploadAppender {
 public:
  // Opens the upload for appending. A previous appender of the same upload (a request the
  // client has given up on) is superseded first: its bytes are synced and recorded.
  static HttpResult<std::unique_ptr<UploadAppender>> open(App& app, const std::string& token);
  ~UploadAppender();
  UploadAppender(const UploadAppender&) = delete;
  UploadAppender& operator=(const UploadAppender&) = delete;

  const UploadRecord& record() const { return record_; }
  // Bytes in the file so far (not necessarily durable yet).
  std::uint64_t offset() const { return written_; }

  // Appends; refuses bytes past the known length or the size limit, and after being superseded.
  HttpResult<void> append(std::string_view bytes);
  // Sets the total length once known (consistent with what is known already).
  HttpResult<void> setLength(std::uint64_t length);
  // fdatasync, then record the offset (and extend the expiry). Returns the durable offset.
  HttpResult<std::uint64_t> persist();
  // Persists, checks the length, installs the movie and marks the upload complete.
  // Returns true when the video had a movie before.
  HttpResult<bool> complete();
  // A newer request for the same upload arrived: persist now and refuse further bytes.
  void supersede();

  // Supersedes the running appender of `token`, if any, so its progress is recorded.
  static void supersedeRunning(App& app, const std::string& token);

 private:
  UploadAppender(App& app, UploadRecord record, ferry::UniqueFd fd);

  App& app_;
  UploadRecord record_;
  ferry::UniqueFd fd_;
  std::uint64_t written_ = 0;
  std::uint64_t unsynced_ = 0;
  ferry::files::WritebackStarter writeback_;  // started as bytes arrive, so persist() waits less
  bool superseded_ = false;
  bool finished_ = false;
};

// Creates the record and the empty file of a new upload; returns the record.
HttpResult<UploadRecord> createUpload(App& app, const std::string& video_id, const std::string& protocol,
                                      std::optional<std::uint64_t> length, const std::string& metadata);
// The upload's record, or nullopt when there is none or it has expired (then it is removed).
HttpResult<std::optional<UploadRecord>> findLiveUpload(App& app, const std::string& token);
// Removes an upload's record and file (cancellation, termination), superseding a running appender.
HttpResult<void> removeUpload(App& app, const std::string& token);

}  // namespace vf
