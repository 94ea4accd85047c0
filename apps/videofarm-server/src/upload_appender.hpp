#pragma once
// The part both resumable protocols (IETF draft, tus) share: appending a request's bytes to an
// upload's blob, making progress durable before it is ever reported, and turning a complete
// upload into the video's movie.
//
// Durability rule: the offset in the catalogue (what HEAD reports) only moves after the bytes
// below it are durable in the blob store (fdatasync; RADOS's acknowledgement). On (re)opening,
// the blob is cut back to that offset, so bytes that reached the store but were never synced and
// recorded are dropped and sent again by the client.
//
// Instance independence: the offset and state live in the catalogue, the bytes in the store, so
// any instance continues any upload. One request appends at a time, across instances: it holds
// the catalogue's lock of the upload (a PostgreSQL advisory lock, gone with a killed instance's
// connection) and records its progress only where the stored offset is still its own. A request
// that finds the lock taken is answered 409 with the durable offset.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "app.hpp"
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
  // Bytes in the blob so far (not necessarily durable yet).
  std::uint64_t offset() const { return blob_->size(); }

  // Appends; refuses bytes past the known length or the size limit, and after being superseded.
  HttpResult<void> append(std::string_view bytes);
  // Sets the total length once known (consistent with what is known already).
  HttpResult<void> setLength(std::uint64_t length);
  // Makes the bytes durable, then records the offset (and extends the expiry). Returns the
  // durable offset.
  HttpResult<std::uint64_t> persist();
  // Persists, checks the length, installs the movie and marks the upload complete.
  // Returns true when the video had a movie before.
  HttpResult<bool> complete();
  // A newer request for the same upload arrived: persist now and refuse further bytes.
  void supersede();

  // Supersedes the running appender of `token`, if any, so its progress is recorded.
  static void supersedeRunning(App& app, const std::string& token);

 private:
  UploadAppender(App& app, UploadRecord record, std::unique_ptr<CatalogLock> lock, std::unique_ptr<BlobWriter> blob);

  App& app_;
  UploadRecord record_;
  std::unique_ptr<CatalogLock> lock_;  // released last (members go in reverse order)
  std::unique_ptr<BlobWriter> blob_;
  std::uint64_t unsynced_ = 0;
  bool superseded_ = false;
  bool finished_ = false;
  bool failed_ = false;  // a write or sync failed: nothing more is recorded by this request
};

// Creates the record and the empty blob of a new upload; returns the record.
HttpResult<UploadRecord> createUpload(App& app, const std::string& video_id, const std::string& protocol,
                                      std::optional<std::uint64_t> length, const std::string& metadata);
// The upload's record, or nullopt when there is none or it has expired (then it is removed).
HttpResult<std::optional<UploadRecord>> findLiveUpload(App& app, const std::string& token);
// Removes expired uploads (records and bytes) unless a request appends to them; on one instance at
// a time (the catalogue's sweep lock). Returns how many went.
std::size_t removeExpiredUploads(App& app);
// Removes an upload's record and bytes (cancellation, termination), superseding a running
// appender here; 409 while a request on another instance appends to it.
HttpResult<void> removeUpload(App& app, const std::string& token);

}  // namespace vf
