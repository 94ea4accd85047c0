#include "upload_appender.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include <spdlog/spdlog.h>

#include "common/files.hpp"
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

UploadAppender::UploadAppender(App& app, UploadRecord record, ferry::UniqueFd fd)
    : app_(app), record_(std::move(record)), fd_(std::move(fd)), written_(record_.offset), writeback_(record_.offset) {
  app_.appenders[record_.token] = this;
}

UploadAppender::~UploadAppender() {
  if (!superseded_ && !finished_) (void)persist();  // a cut request keeps what arrived
  auto it = app_.appenders.find(record_.token);
  if (it != app_.appenders.end() && it->second == this) app_.appenders.erase(it);
}

void UploadAppender::supersedeRunning(App& app, const std::string& token) {
  auto it = app.appenders.find(token);
  if (it != app.appenders.end()) it->second->supersede();
}

HttpResult<std::unique_ptr<UploadAppender>> UploadAppender::open(App& app, const std::string& token) {
  supersedeRunning(app, token);
  auto found = findLiveUpload(app, token);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return problem(http::status::not_found, "no such upload (finished, cancelled or expired)");
  auto path = app.storage.uploadPath(token);
  ferry::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return problem(http::status::not_found, "the upload's data is gone; start a new upload");
  // Bytes past the durable offset were never reported; drop them so the file matches the record
  // (append() writes at written_, which starts at that offset).
  if (::ftruncate(fd.get(), static_cast<off_t>((*found)->offset)) != 0 ||
      ::lseek(fd.get(), static_cast<off_t>((*found)->offset), SEEK_SET) < 0)
    return problem(http::status::internal_server_error, "cannot reopen the upload; try again later");
  return std::unique_ptr<UploadAppender>(new UploadAppender(app, std::move(**found), std::move(fd)));
}

HttpResult<void> UploadAppender::setLength(std::uint64_t length) {
  if (record_.length && *record_.length != length)
    return problem(http::status::bad_request, "the upload length differs from the one given before (inconsistent length)");
  if (length < written_) return problem(http::status::bad_request, "the upload length is less than what was uploaded");
  if (length > app_.config.max_movie_bytes)
    return problem(http::status::payload_too_large,
                   "the movie is larger than " + std::to_string(app_.config.max_movie_bytes) + " bytes");
  record_.length = length;
  return {};
}

HttpResult<void> UploadAppender::append(std::string_view bytes) {
  if (superseded_) return problem(http::status::conflict, "a newer request for this upload took over");
  const std::uint64_t limit = record_.length.value_or(app_.config.max_movie_bytes);
  if (written_ + bytes.size() > limit)
    return problem(record_.length ? http::status::bad_request : http::status::payload_too_large,
                   record_.length ? "the body goes past the upload's length" : "the movie is too large");
  if (auto r = ferry::files::writeAll(fd_.get(), bytes, written_, app_.storage.uploadPath(record_.token)); !r) {
    spdlog::error("upload {}: {}", record_.token, r.error().describe());
    return problem(r.error().is(ferry::errc::no_space) ? http::status::insufficient_storage
                                                       : http::status::internal_server_error,
                   "cannot store the upload; try again later");
  }
  written_ += bytes.size();
  unsynced_ += bytes.size();
  writeback_.wrote(fd_.get(), written_);
  if (unsynced_ >= kSyncEvery) {
    if (auto r = persist(); !r) return tl::unexpected(r.error());
  }
  return {};
}

HttpResult<std::uint64_t> UploadAppender::persist() {
  if (::fdatasync(fd_.get()) != 0) {
    // A failed fdatasync is never retried and trusted: keep the last recorded offset.
    spdlog::error("upload {}: fdatasync failed: {}", record_.token, std::strerror(errno));
    written_ = record_.offset;
    unsynced_ = 0;
    writeback_.restartAt(record_.offset);
    (void)::ftruncate(fd_.get(), static_cast<off_t>(record_.offset));
    return problem(http::status::internal_server_error, "cannot store the upload; resume from the last offset");
  }
  UploadRecord next = record_;
  next.offset = written_;
  next.expires_at_ms = expiryFrom(app_);
  if (auto r = app_.catalog->updateUpload(next); !r) return tl::unexpected(catalogProblem(r.error()));
  record_ = next;
  unsynced_ = 0;
  return record_.offset;
}

HttpResult<bool> UploadAppender::complete() {
  if (record_.length && *record_.length != written_)
    return problem(http::status::bad_request, "the upload ended at " + std::to_string(written_) +
                                                  " bytes but its length is " + std::to_string(*record_.length));
  if (written_ == 0) return problem(http::status::bad_request, "the movie is empty");
  record_.length = written_;
  if (auto r = persist(); !r) return tl::unexpected(r.error());
  auto installed = installMovie(app_, record_.video_id, app_.storage.uploadPath(record_.token));
  if (!installed) return installed;
  record_.complete = true;
  if (auto r = app_.catalog->updateUpload(record_); !r) return tl::unexpected(catalogProblem(r.error()));
  finished_ = true;
  return installed;
}

void UploadAppender::supersede() {
  if (superseded_) return;
  (void)persist();
  superseded_ = true;
  auto it = app_.appenders.find(record_.token);
  if (it != app_.appenders.end() && it->second == this) app_.appenders.erase(it);
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
  auto path = app.storage.uploadPath(record.token);
  ferry::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) return problem(http::status::internal_server_error, "cannot create the upload; try again later");
  if (auto r = app.catalog->createUpload(record); !r) {
    ::unlink(path.c_str());
    return tl::unexpected(catalogProblem(r.error()));
  }
  return record;
}

HttpResult<std::optional<UploadRecord>> findLiveUpload(App& app, const std::string& token) {
  auto found = app.catalog->findUpload(token);
  if (!found) return tl::unexpected(catalogProblem(found.error()));
  if (*found && (*found)->expires_at_ms <= nowMs() && !app.appenders.count(token)) {
    // Expired: gone now rather than at the janitor's next sweep.
    (void)app.catalog->removeUpload(token);
    ::unlink(app.storage.uploadPath(token).c_str());
    return std::optional<UploadRecord>();
  }
  return *found;
}

HttpResult<void> removeUpload(App& app, const std::string& token) {
  UploadAppender::supersedeRunning(app, token);
  auto found = findLiveUpload(app, token);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return problem(http::status::not_found, "no such upload");
  if (auto r = app.catalog->removeUpload(token); !r) return tl::unexpected(catalogProblem(r.error()));
  ::unlink(app.storage.uploadPath(token).c_str());
  return {};
}

}  // namespace vf
