// PUT/GET/HEAD /videos/:id/movie and GET/HEAD /videos/:id/thumbnail.
#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "common/files.hpp"
#include "file_response.hpp"
#include "handlers.hpp"
#include "media_probe.hpp"
#include "media_worker.hpp"
#include "media_sniff.hpp"
#include "text.hpp"

namespace vf {
namespace {

std::string readHead(const std::filesystem::path& path) {
  std::string head(kSniffBytes, '\0');
  ferry::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  ssize_t n = fd ? ::pread(fd.get(), head.data(), head.size(), 0) : -1;
  head.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return head;
}

// PUT /videos/:id/movie: the raw body to a temp file; in place only when complete.
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
    auto file = TempFile::create(app_.storage);
    if (!file) {
      spdlog::error("put movie: {}", file.error().describe());
      return errorResponse({http::status::internal_server_error, "cannot store the movie; try again later", {}});
    }
    expected_ = *length;
    file_.emplace(std::move(*file));
    return std::nullopt;
  }

  HttpResult<void> body(std::string_view bytes) override {
    if (file_->size() + bytes.size() > expected_)
      return problem(http::status::bad_request, "the body is longer than its Content-Length");
    if (auto r = file_->write(bytes); !r) {
      spdlog::error("put movie: {}", r.error().describe());
      return problem(r.error().is(ferry::errc::no_space) ? http::status::insufficient_storage
                                                         : http::status::internal_server_error,
                     "cannot store the movie; try again later");
    }
    return {};
  }

  Response finish() override {
    if (file_->size() != expected_)
      return errorResponse({http::status::bad_request, "the body is shorter than its Content-Length", {}});
    if (auto r = file_->sync(); !r) {
      spdlog::error("put movie: {}", r.error().describe());
      return errorResponse({http::status::internal_server_error, "cannot store the movie; try again later", {}});
    }
    auto installed = installMovie(app_, id_, file_->path());
    if (!installed) return errorResponse(installed.error());
    file_->forget();
    Response r = emptyResponse(*installed ? http::status::no_content : http::status::created);
    if (!*installed) r.header.set(http::field::location, "/videos/" + id_ + "/movie");
    return r;
  }

  // The TempFile's destructor removes what was received: nothing half-written stays.
  void abort() override { file_.reset(); }

 private:
  App& app_;
  std::string id_;
  std::uint64_t expected_ = 0;
  std::optional<TempFile> file_;
};

}  // namespace

HttpResult<bool> installMovie(App& app, const std::string& id, const std::filesystem::path& complete_file) {
  auto found = app.catalog->find(id);
  if (!found) return problem(http::status::internal_server_error, "the catalogue failed; try again later");
  if (!*found) return problem(http::status::not_found, "the video " + id + " was deleted during the upload");
  bool replaced = (*found)->movie.has_value();
  MovieInfo info;
  auto size = ferry::files::fileSize(complete_file);
  if (!size) return problem(http::status::internal_server_error, "cannot store the movie; try again later");
  info.size = *size;
  info.content_type = sniffMovieType(readHead(complete_file));
  info.duration_seconds = probeDurationSeconds(complete_file);
  if (auto r = ferry::files::renameDurably(complete_file, app.storage.moviePath(id)); !r) {
    spdlog::error("install movie: {}", r.error().describe());
    return problem(http::status::internal_server_error, "cannot store the movie; try again later");
  }
  auto set = app.catalog->setMovie(id, info);
  if (!set) return problem(http::status::internal_server_error, "the catalogue failed; try again later");
  if (!*set) {
    app.storage.removeVideoFiles(id);
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
  return fileResponse(req, app.storage.moviePath(id), {(*found)->movie->content_type, "no-cache", true});
}

Response getThumbnail(App& app, const RequestHeader& req, const std::string& id) {
  auto found = app.catalog->find(id);
  if (!found) return errorResponse({http::status::internal_server_error, "the catalogue failed; try again later", {}});
  if (!*found) return errorResponse({http::status::not_found, "no video " + id, {}});
  if (!(*found)->thumbnail_type) return errorResponse({http::status::not_found, "the video " + id + " has no thumbnail", {}});
  // A video's thumbnail never changes; its id is never reused.
  return fileResponse(req, app.storage.thumbnailPath(id), {*(*found)->thumbnail_type, "public, max-age=86400", false});
}

}  // namespace vf
