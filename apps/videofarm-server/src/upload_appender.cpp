#include "upload_appender.hpp"

#include <spdlog/spdlog.h>

#include "handlers.hpp"
#include "storage.hpp"

namespace vf {
namespace {

// Sync at least this often during a long request, so a crash loses little and a concurrent
// HEAD sees progress.
constexpr std::uint64_t kSyncEvery = 16ull << 20;

Problem catalogProblem(const ferry::Error& e) {
  spdlog::error("upload catalogue: {}", e.describe());
  return {http::status::internal_server_error, "the catalogue failed; try again later", {}};
}

std::int64_t expiryFrom(const App& app) {
  return nowMs() + std::chrono::duration_cast<std::chrono::milliseconds>(app.config.upload_expiry).count();
}

}  // namespace

UploadAppender::UploadAppender(App& app, UploadRecord record, std::unique_ptr<CatalogLock> lock,
                               std::unique_ptr<BlobWriter> blob)
    : app_(app), record_(std::move(record)), lock_(std::move(lock)), blob_(std::move(blob)) {
  app_.appenders->add(record_.token, this, app_.io);
}

UploadAppender::~UploadAppender() {
  if (!superseded_ && !finished_ && !failed_) (void)persist();  // a cut request keeps what arrived
  app_.appenders->remove(record_.token, this);
}

void UploadAppender::supersedeRunning(App& app, const std::string& token) { app.appenders->supersede(token); }

HttpResult<std::unique_ptr<UploadAppender>> UploadAppender::open(App& app, const std::string& token) {
  supersedeRunning(app, token);
  auto found = findLiveUpload(app, token);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return problem(http::status::not_found, "no such upload (finished, cancelled or expired)");
  auto lock = app.catalog->lockUpload(token);
  if (!lock) return tl::unexpected(catalogProblem(lock.error()));
  if (!*lock) return tl::unexpected(uploadBusy((*found)->offset));
  // Read again under the lock: the request that held it may have moved the offset.
  auto record = app.catalog->findUpload(token);
  if (!record) return tl::unexpected(catalogProblem(record.error()));
  if (!*record) return problem(http::status::not_found, "no such upload (finished, cancelled or expired)");
  // A complete upload's bytes are the movie now: never opened for writing again.
  if ((*record)->complete) return problem(http::status::bad_request, "the upload is already complete");
  auto blob = app.blobs->openUpload(token, (*record)->offset);
  if (!blob && blob.error().is(ferry::errc::not_found))
    return problem(http::status::not_found, "the upload's data is gone; start a new upload");
  if (!blob) return tl::unexpected(storeProblem(blob.error(), "reopen the upload"));
  return std::unique_ptr<UploadAppender>(
      new UploadAppender(app, std::move(**record), std::move(*lock), std::move(*blob)));
}

HttpResult<void> UploadAppender::setLength(std::uint64_t length) {
  if (record_.length && *record_.length != length)
    return problem(http::status::bad_request, "the upload length differs from the one given before (inconsistent length)");
  if (length < offset()) return problem(http::status::bad_request, "the upload length is less than what was uploaded");
  if (length > app_.config.max_movie_bytes)
    return problem(http::status::payload_too_large,
                   "the movie is larger than " + std::to_string(app_.config.max_movie_bytes) + " bytes");
  record_.length = length;
  return {};
}

HttpResult<void> UploadAppender::append(std::string_view bytes) {
  if (superseded_) return problem(http::status::conflict, "a newer request for this upload took over");
  if (failed_) return problem(http::status::service_unavailable, "the upload cannot take more now; resume later");
  const std::uint64_t limit = record_.length.value_or(app_.config.max_movie_bytes);
  if (offset() + bytes.size() > limit)
    return problem(record_.length ? http::status::bad_request : http::status::payload_too_large,
                   record_.length ? "the body goes past the upload's length" : "the movie is too large");
  if (auto r = blob_->write(bytes); !r) {
    failed_ = true;  // what is durable stays recorded; the next request starts from there
    return tl::unexpected(storeProblem(r.error(), "store the upload; resume from its offset (HEAD)"));
  }
  unsynced_ += bytes.size();
  if (unsynced_ >= kSyncEvery) {
    if (auto r = persist(); !r) return tl::unexpected(r.error());
  }
  return {};
}

HttpResult<std::uint64_t> UploadAppender::persist() {
  if (!lock_->held()) {
    failed_ = true;
    return problem(http::status::conflict, "this request lost the upload's lock; resume from its offset (HEAD)");
  }
  if (auto r = blob_->sync(); !r) {
    // A failed sync is never trusted: the recorded offset stays where it was, and the next
    // request cuts the blob back to it.
    failed_ = true;
    return tl::unexpected(storeProblem(r.error(), "store the upload; resume from its offset (HEAD)"));
  }
  UploadRecord next = record_;
  next.offset = blob_->size();
  next.expires_at_ms = expiryFrom(app_);
  auto updated = app_.catalog->updateUpload(next, record_.offset);
  if (!updated) return tl::unexpected(catalogProblem(updated.error()));
  if (!*updated) {
    failed_ = true;
    return problem(http::status::conflict, "the upload was changed or removed by another request");
  }
  record_ = next;
  unsynced_ = 0;
  return record_.offset;
}

HttpResult<bool> UploadAppender::complete() {
  if (record_.length && *record_.length != offset())
    return problem(http::status::bad_request, "the upload ended at " + std::to_string(offset()) +
                                                  " bytes but its length is " + std::to_string(*record_.length));
  if (offset() == 0) return problem(http::status::bad_request, "the movie is empty");
  record_.length = offset();
  if (auto r = persist(); !r) return tl::unexpected(r.error());
  auto installed = installMovie(app_, record_.video_id, *blob_);
  if (!installed) return installed;
  UploadRecord done = record_;
  done.complete = true;
  auto updated = app_.catalog->updateUpload(done, record_.offset);
  if (!updated) return tl::unexpected(catalogProblem(updated.error()));
  record_ = done;
  finished_ = true;
  return installed;
}

void UploadAppender::supersede() {
  if (superseded_) return;
  if (!failed_) (void)persist();
  superseded_ = true;
  lock_.reset();  // the newer request takes it over
  app_.appenders->remove(record_.token, this);
}

HttpResult<UploadRecord> createUpload(App& app, const std::string& video_id, const std::string& protocol,
                                      std::optional<std::uint64_t> length, const std::string& metadata) {
  auto video = app.catalog->find(video_id);
  if (!video) return tl::unexpected(catalogProblem(video.error()));
  if (!*video) return problem(http::status::not_found, "no video " + video_id);
  if (length && *length > app.config.max_movie_bytes)
    return problem(http::status::payload_too_large,
                   "the movie is larger than " + std::to_string(app.config.max_movie_bytes) + " bytes");
  UploadRecord record;
  record.token = randomId(kUploadTokenDigits);
  record.video_id = video_id;
  record.protocol = protocol;
  record.length = length;
  record.expires_at_ms = expiryFrom(app);
  record.metadata = metadata;
  if (auto r = app.blobs->createUpload(record.token); !r)
    return tl::unexpected(storeProblem(r.error(), "create the upload"));
  if (auto r = app.catalog->createUpload(record); !r) {
    (void)app.blobs->removeUpload(record.token, video_id);
    return tl::unexpected(catalogProblem(r.error()));
  }
  return record;
}

namespace {

// Removes the record and, for an unfinished upload, its bytes (a finished one's are the movie).
HttpResult<void> dropUpload(App& app, const UploadRecord& upload) {
  if (auto r = app.catalog->removeUpload(upload.token); !r) return tl::unexpected(catalogProblem(r.error()));
  if (!upload.complete) {
    if (auto r = app.blobs->removeUpload(upload.token, upload.video_id); !r)
      spdlog::warn("upload {}: its bytes stay in the store: {}", upload.token.substr(0, 8), r.error().describe());
  }
  return {};
}

}  // namespace

HttpResult<std::optional<UploadRecord>> findLiveUpload(App& app, const std::string& token) {
  auto found = app.catalog->findUpload(token);
  if (!found) return tl::unexpected(catalogProblem(found.error()));
  if (*found && (*found)->expires_at_ms <= nowMs() && !app.appenders->running(token)) {
    // Expired: gone now rather than at the next sweep, unless a request (here or on another
    // instance) is still appending to it.
    auto lock = app.catalog->lockUpload(token);
    if (lock && *lock) {
      (void)dropUpload(app, **found);
      return std::optional<UploadRecord>();
    }
  }
  return *found;
}

HttpResult<void> removeUpload(App& app, const std::string& token) {
  UploadAppender::supersedeRunning(app, token);
  auto found = findLiveUpload(app, token);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return problem(http::status::not_found, "no such upload");
  auto lock = app.catalog->lockUpload(token);
  if (!lock) return tl::unexpected(catalogProblem(lock.error()));
  if (!*lock) return tl::unexpected(uploadBusy((*found)->offset));
  return dropUpload(app, **found);
}

std::size_t removeExpiredUploads(App& app) {
  auto sweep = app.catalog->lockExpirySweep();
  if (!sweep || !*sweep) return 0;  // another instance is sweeping (or the catalogue failed: next time)
  auto expired = app.catalog->expiredUploads(nowMs());
  if (!expired) {
    spdlog::warn("upload expiry: {}", expired.error().describe());
    return 0;
  }
  std::size_t removed = 0;
  for (const auto& upload : *expired) {
    if (app.appenders->running(upload.token)) continue;  // still being appended to here
    auto lock = app.catalog->lockUpload(upload.token);
    if (!lock || !*lock) continue;                    // ... or on another instance
    if (dropUpload(app, upload)) ++removed;
  }
  return removed;
}

}  // namespace vf
