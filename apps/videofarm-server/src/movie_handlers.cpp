// PUT/GET/HEAD /videos/:id/movie and GET/HEAD /videos/:id/thumbnail.
#include <spdlog/spdlog.h>

#include "file_response.hpp"
#include "handlers.hpp"
#include "media_probe.hpp"
#include "media_worker.hpp"
#include "media_sniff.hpp"
#include "text.hpp"

namespace vf {
namespace {

// The first bytes, for sniffing the type.
std::string readHead(BlobReader& movie) {
  std::string head(kSniffBytes, '\0');
  auto n = movie.read(0, head.data(), head.size());
  head.resize(n ? *n : 0);
  return head;
}

// PUT /videos/:id/movie: the raw body to a new blob; in place only when complete.
class PutMovieHandler final : public RequestHandler {
 public:
  PutMovieHandler(App& app, std::string id) : app_(app), id_(std::move(id)) {}

  std::optional<Response> start(const RequestHeader& req, std::vector<Response>&) override {
    auto found = app_.catalog->find(id_);
    if (!found) return errorResponse({http::status::internal_server_error, "the catalogue failed; try again later", {}});
    if (!*found) return errorResponse({http::status::not_found, "no video " + id_, {}});
    auto length = contentLength(req);
    if (!length)
      return errorResponse({http::status::length_required,
                            "PUT of a movie needs a Content-Length (use a resumable upload for streams)", {}});
    if (*length == 0) return errorResponse({http::status::bad_request, "the movie is empty", {}});
    if (*length > app_.config.max_movie_bytes)
      return errorResponse({http::status::payload_too_large,
                            "the movie is larger than " + std::to_string(app_.config.max_movie_bytes) + " bytes", {}});
    auto blob = app_.blobs->create();
    if (!blob) return errorResponse(storeProblem(blob.error(), "store the movie; try again later"));
    expected_ = *length;
    blob_ = std::move(*blob);
    return std::nullopt;
  }

  HttpResult<void> body(std::string_view bytes) override {
    if (blob_->size() + bytes.size() > expected_)
      return problem(http::status::bad_request, "the body is longer than its Content-Length");
    if (auto r = blob_->write(bytes); !r)
      return tl::unexpected(storeProblem(r.error(), "store the movie; try again later"));
    return {};
  }

  Response finish() override {
    if (blob_->size() != expected_)
      return errorResponse({http::status::bad_request, "the body is shorter than its Content-Length", {}});
    auto installed = installMovie(app_, id_, *blob_);
    if (!installed) return errorResponse(installed.error());
    Response r = emptyResponse(*installed ? http::status::no_content : http::status::created);
    if (!*installed) r.header.set(http::field::location, "/videos/" + id_ + "/movie");
    return r;
  }

  // The uncommitted blob's writer removes what was received: nothing half-written stays.
  void abort() override { blob_.reset(); }

 private:
  App& app_;
  std::string id_;
  std::uint64_t expected_ = 0;
  std::unique_ptr<BlobWriter> blob_;
};

// GET/HEAD of a movie or thumbnail from the store.
Response blobAnswer(App& app, const RequestHeader& req, const std::string& id, BlobKind kind,
                    const FileResponseOptions& options) {
  auto blob = app.blobs->open(id, kind);
  if (!blob && blob.error().is(ferry::errc::not_found))
    return errorResponse({http::status::not_found, "the file is not there (yet)", {}});
  if (!blob) return errorResponse(storeProblem(blob.error(), "read it; try again later"));
  return blobResponse(req, std::shared_ptr<BlobReader>(std::move(*blob)), options);
}

}  // namespace

HttpResult<bool> installMovie(App& app, const std::string& id, BlobWriter& complete_blob) {
  auto found = app.catalog->find(id);
  if (!found) return problem(http::status::internal_server_error, "the catalogue failed; try again later");
  if (!*found) return problem(http::status::not_found, "the video " + id + " was deleted during the upload");
  bool replaced = (*found)->movie.has_value();
  MovieInfo info;
  info.size = complete_blob.size();
  if (auto r = complete_blob.commitAs(id, BlobKind::Movie); !r)
    return tl::unexpected(storeProblem(r.error(), "store the movie; try again later"));
  if (auto movie = app.blobs->open(id, BlobKind::Movie); movie) {
    info.content_type = sniffMovieType(readHead(**movie));
    info.duration_seconds = probeDurationSeconds(**movie);
  } else {
    spdlog::warn("movie of {}: cannot read it back for its type: {}", id, movie.error().describe());
    info.content_type = sniffMovieType("");
  }
  auto set = app.catalog->setMovie(id, info);
  if (!set) return problem(http::status::internal_server_error, "the catalogue failed; try again later");
  if (!*set) {
    (void)app.blobs->removeVideo(id);
    return problem(http::status::not_found, "the video " + id + " was deleted during the upload");
  }
  spdlog::info("movie of {} stored: {} bytes, {}", id, info.size, info.content_type);
  if (app.media) app.media->analyze(id);
  return replaced;
}

std::unique_ptr<RequestHandler> makePutMovie(App& app, std::string id) {
  return std::make_unique<PutMovieHandler>(app, std::move(id));
}

Response getMovie(App& app, const RequestHeader& req, const std::string& id) {
  auto found = app.catalog->find(id);
  if (!found) return errorResponse({http::status::internal_server_error, "the catalogue failed; try again later", {}});
  if (!*found) return errorResponse({http::status::not_found, "no video " + id, {}});
  if (!(*found)->movie) return errorResponse({http::status::not_found, "the video " + id + " has no movie yet", {}});
  return blobAnswer(app, req, id, BlobKind::Movie, {(*found)->movie->content_type, "no-cache", true});
}

Response getThumbnail(App& app, const RequestHeader& req, const std::string& id) {
  auto found = app.catalog->find(id);
  if (!found) return errorResponse({http::status::internal_server_error, "the catalogue failed; try again later", {}});
  if (!*found) return errorResponse({http::status::not_found, "no video " + id, {}});
  if (!(*found)->thumbnail_type) return errorResponse({http::status::not_found, "the video " + id + " has no thumbnail", {}});
  // A video's thumbnail never changes; its id is never reused.
  return blobAnswer(app, req, id, BlobKind::Thumbnail, {*(*found)->thumbnail_type, "public, max-age=86400", false});
}

}  // namespace vf
