// GET /videos, GET/DELETE /videos/:id and POST /videos (the streamed multipart form).
#include <charconv>
#include <set>

#include <spdlog/spdlog.h>

#include "handlers.hpp"
#include "media_sniff.hpp"
#include "multipart_parser.hpp"
#include "storage.hpp"
#include "text.hpp"
#include "video_json.hpp"
#include "upload_appender.hpp"

namespace vf {
namespace {

Response catalogFailure(const ferry::Error& e) {
  spdlog::error("catalogue: {}", e.describe());
  return errorResponse({http::status::internal_server_error, "the catalogue failed; try again later", {}});
}

}  // namespace

Response listVideos(App& app, std::string_view query) {
  std::size_t limit = 50;
  std::optional<std::string> after;
  for (const auto& [key, value] : parseQuery(query)) {
    if (key == "limit") {
      std::size_t n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || p != value.data() + value.size() || n == 0 || n > app.config.max_list_limit)
        return errorResponse({http::status::bad_request,
                              "limit must be a number from 1 to " + std::to_string(app.config.max_list_limit), {}});
      limit = n;
    } else if (key == "after") {
      if (!isValidId(value)) return errorResponse({http::status::bad_request, "after must be a video id", {}});
      after = value;
    }
  }
  auto generation = app.catalog->generation();
  if (!generation) return catalogFailure(generation.error());
  const std::string key = "list " + std::to_string(limit) + " " + after.value_or("");
  if (auto cached = app.catalogue_cache.find(key, *generation)) return jsonResponse(http::status::ok, *cached);
  // One more than asked tells whether there is a next page.
  auto videos = app.catalog->list(limit + 1, after);
  if (!videos) return catalogFailure(videos.error());
  const bool more = videos->size() > limit;
  if (more) videos->pop_back();
  auto page = std::make_shared<const std::string>(videoPageJson(*videos, more));
  app.catalogue_cache.store(key, *generation, page);
  return jsonResponse(http::status::ok, *page);
}

Response getVideo(App& app, const std::string& id) {
  auto generation = app.catalog->generation();
  if (!generation) return catalogFailure(generation.error());
  const std::string key = "video " + id;
  if (auto cached = app.catalogue_cache.find(key, *generation)) return jsonResponse(http::status::ok, *cached);
  auto v = app.catalog->find(id);
  if (!v) return catalogFailure(v.error());
  if (!*v) return errorResponse({http::status::not_found, "no video " + id, {}});
  auto text = std::make_shared<const std::string>(videoJson(**v));
  app.catalogue_cache.store(key, *generation, text);
  return jsonResponse(http::status::ok, *text);
}

Response deleteVideo(App& app, const std::string& id) {
  auto found = app.catalog->find(id);
  if (!found) return catalogFailure(found.error());
  if (!*found) return errorResponse({http::status::not_found, "no video " + id, {}});
  auto uploads = app.catalog->uploadsOf(id);
  if (!uploads) return catalogFailure(uploads.error());
  for (const auto& upload : *uploads) UploadAppender::supersedeRunning(app, upload.token);
  // The record goes first: once it is gone nobody is sent to the blobs being removed.
  auto removed = app.catalog->remove(id);
  if (!removed) return catalogFailure(removed.error());
  if (auto r = app.blobs->removeVideo(id); !r)
    spdlog::warn("video {} deleted; its blobs stay in the store: {}", id, r.error().describe());
  for (const auto& upload : *uploads) {
    if (upload.complete) continue;  // its bytes were the movie
    if (auto r = app.blobs->removeUpload(upload.token, id); !r)
      spdlog::warn("video {} deleted; an upload's bytes stay in the store: {}", id, r.error().describe());
  }
  return emptyResponse(http::status::no_content);
}

namespace {

// POST /videos: title, description and an optional thumbnail, streamed. The thumbnail goes to a
// temp file; the video becomes visible only once everything is in place.
class CreateVideoHandler final : public RequestHandler, private MultipartHandler {
 public:
  CreateVideoHandler(App& app, std::optional<std::string> owner) : app_(app), owner_(std::move(owner)) {}

  std::optional<Response> start(const RequestHeader& req, std::vector<Response>&) override {
    auto boundary = multipartBoundary(req[http::field::content_type]);
    if (!boundary) return errorResponse({http::status::unsupported_media_type, boundary.error().message, {}});
    auto length = contentLength(req);
    if (length && *length > app_.config.max_form_bytes) return tooLarge();
    parser_.emplace(*boundary, static_cast<MultipartHandler&>(*this), MultipartLimits{4096, app_.config.max_parts});
    return std::nullopt;
  }

  HttpResult<void> body(std::string_view bytes) override {
    received_ += bytes.size();
    if (received_ > app_.config.max_form_bytes) return tl::unexpected(tooLargeProblem());
    auto r = parser_->feed(bytes);
    if (pending_) return tl::unexpected(*pending_);
    if (!r) return problem(http::status::bad_request, r.error().message);
    return {};
  }

  Response finish() override {
    if (auto r = parser_->finish(); !r) return errorResponse({http::status::bad_request, r.error().message, {}});
    if (!has_title_ || title_.empty())
      return errorResponse({http::status::bad_request, "the form needs a non-empty title field", {}});
    if (thumbnail_ && thumbnail_->size() == 0) thumbnail_.reset();  // a form's empty file input
    if (thumbnail_) {
      if (!thumbnail_type_) thumbnail_type_ = sniffImageType(thumbnail_head_);
      if (!thumbnail_type_) return unsupportedImage();
    }
    return commit();
  }

 private:
  Response tooLarge() { return errorResponse(tooLargeProblem()); }
  Problem tooLargeProblem() const {
    return {http::status::payload_too_large,
            "the form is larger than " + std::to_string(app_.config.max_form_bytes) + " bytes", {}};
  }
  static Response unsupportedImage() {
    return errorResponse({http::status::unsupported_media_type, "the thumbnail must be a PNG, JPEG, GIF or WebP image", {}});
  }
  ferry::Result<void> reject(http::status status, std::string message) {
    pending_ = Problem{status, message, {}};
    return ferry::fail(ferry::errc::invalid_argument, std::move(message));
  }

  ferry::Result<void> onPartBegin(const PartHeaders& h) override {
    if (h.name == "title") current_ = Field::Title;
    else if (h.name == "description") current_ = Field::Description;
    else if (h.name == "thumbnail") current_ = Field::Thumbnail;
    else return reject(http::status::bad_request, "unexpected form field \"" + h.name +
                                                      "\" (expected title, description, thumbnail)");
    if (!seen_.insert(h.name).second) return reject(http::status::bad_request, "the form field " + h.name + " appears twice");
    if (current_ == Field::Title) has_title_ = true;
    if (current_ == Field::Thumbnail) {
      auto blob = app_.blobs->create();
      if (!blob) {
        auto p = storeProblem(blob.error(), "store the thumbnail; try again later");
        return reject(p.status, p.message);
      }
      thumbnail_ = std::move(*blob);
    }
    return {};
  }

  ferry::Result<void> onPartData(std::string_view data) override {
    switch (current_) {
      case Field::Title:
        title_.append(data);
        if (title_.size() > app_.config.max_title_bytes)
          return reject(http::status::bad_request,
                        "the title is longer than " + std::to_string(app_.config.max_title_bytes) + " bytes");
        return {};
      case Field::Description:
        description_.append(data);
        if (description_.size() > app_.config.max_field_bytes)
          return reject(http::status::bad_request,
                        "the description is longer than " + std::to_string(app_.config.max_field_bytes) + " bytes");
        return {};
      case Field::Thumbnail: return thumbnailData(data);
      case Field::None: return {};
    }
    return {};
  }

  ferry::Result<void> thumbnailData(std::string_view data) {
    if (thumbnail_->size() + data.size() > app_.config.max_thumbnail_bytes)
      return reject(http::status::payload_too_large,
                    "the thumbnail is larger than " + std::to_string(app_.config.max_thumbnail_bytes) + " bytes");
    if (thumbnail_head_.size() < kSniffBytes) {
      thumbnail_head_.append(data.substr(0, kSniffBytes - thumbnail_head_.size()));
      // Refuse a non-image as soon as its first bytes are here, not after the whole upload.
      if (thumbnail_head_.size() >= kSniffBytes) {
        thumbnail_type_ = sniffImageType(thumbnail_head_);
        if (!thumbnail_type_)
          return reject(http::status::unsupported_media_type, "the thumbnail must be a PNG, JPEG, GIF or WebP image");
      }
    }
    if (auto r = thumbnail_->write(data); !r) {
      auto p = storeProblem(r.error(), "store the thumbnail; try again later");
      return reject(p.status, p.message);
    }
    return {};
  }

  ferry::Result<void> onPartEnd() override {
    if (current_ == Field::Title && !isValidUtf8(title_))
      return reject(http::status::bad_request, "the title is not valid UTF-8");
    if (current_ == Field::Description && !isValidUtf8(description_))
      return reject(http::status::bad_request, "the description is not valid UTF-8");
    current_ = Field::None;
    return {};
  }

  Response commit() {
    std::string id = randomId();
    if (thumbnail_) {
      if (auto r = thumbnail_->commitAs(id, BlobKind::Thumbnail); !r)
        return errorResponse(storeProblem(r.error(), "store the thumbnail; try again later"));
    }
    auto video = app_.catalog->create(NewVideo{id, title_, description_, thumbnail_ ? thumbnail_type_ : std::nullopt, owner_});
    if (!video) {
      (void)app_.blobs->removeVideo(id);
      return catalogFailure(video.error());
    }
    spdlog::info("created video {} \"{}\"", id, title_);
    Response r = jsonResponse(http::status::see_other, videoJson(*video));
    r.header.set(http::field::location, "/videos/" + id);
    return r;
  }

  enum class Field { None, Title, Description, Thumbnail };
  App& app_;
  std::optional<std::string> owner_;
  std::optional<MultipartParser> parser_;
  std::optional<Problem> pending_;
  std::uint64_t received_ = 0;
  Field current_ = Field::None;
  std::set<std::string> seen_;
  bool has_title_ = false;
  std::string title_;
  std::string description_;
  std::unique_ptr<BlobWriter> thumbnail_;
  std::string thumbnail_head_;
  std::optional<std::string> thumbnail_type_;
};

}  // namespace

std::unique_ptr<RequestHandler> makeCreateVideo(App& app, std::optional<std::string> owner) {
  return std::make_unique<CreateVideoHandler>(app, std::move(owner));
}

}  // namespace vf
