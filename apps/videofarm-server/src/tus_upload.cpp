// tus 1.0.0: core (HEAD, PATCH with application/offset+octet-stream), creation (POST with
// Upload-Length and Upload-Metadata), termination (DELETE) and expiration (Upload-Expires).
// Creation endpoint: /tus/videos/ID; upload URLs: /tus/uploads/TOKEN.
#include "tus_upload.hpp"

#include <boost/beast/core/string.hpp>
#include <spdlog/spdlog.h>

#include "handlers.hpp"
#include "text.hpp"
#include "upload_appender.hpp"

namespace vf {
namespace {

namespace beast = boost::beast;

constexpr std::size_t kMaxMetadataBytes = 4096;

void decorate(Response& r) { r.header.set("Tus-Resumable", "1.0.0"); }

void setExpires(Response& r, std::int64_t expires_at_ms) {
  r.header.set("Upload-Expires", httpDate(static_cast<std::time_t>(expires_at_ms / 1000)));
}

Response tusError(const Problem& p) {
  Response r = errorResponse(p);
  decorate(r);
  return r;
}

// Every request but OPTIONS names the protocol version; 412 tells the client which we speak.
std::optional<Response> checkVersion(const RequestHeader& req) {
  auto it = req.find("Tus-Resumable");
  if (it != req.end() && it->value() == "1.0.0") return std::nullopt;
  Response r = tusError({http::status::precondition_failed, "this server speaks tus 1.0.0 (send Tus-Resumable: 1.0.0)", {}});
  r.header.set("Tus-Version", "1.0.0");
  return r;
}

std::optional<std::uint64_t> headerNumber(const RequestHeader& req, std::string_view name) {
  auto it = req.find(name);
  return it == req.end() ? std::nullopt : parseUnsigned(it->value());
}

// "key base64,key2 base64" with keys of printable ASCII without spaces and commas.
bool validMetadata(std::string_view m) {
  if (m.size() > kMaxMetadataBytes) return false;
  for (char c : m)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

Response optionsResponse(const App& app) {
  Response r = emptyResponse(http::status::no_content);
  decorate(r);
  r.header.set("Tus-Version", "1.0.0");
  r.header.set("Tus-Extension", "creation,termination,expiration");
  r.header.set("Tus-Max-Size", std::to_string(app.config.max_movie_bytes));
  return r;
}

Response create(App& app, const RequestHeader& req, const std::string& video_id) {
  if (auto bad = checkVersion(req)) return std::move(*bad);
  if (req.find("Upload-Defer-Length") != req.end())
    return tusError({http::status::bad_request, "creation-defer-length is not supported; send Upload-Length", {}});
  auto length = headerNumber(req, "Upload-Length");
  if (!length) return tusError({http::status::bad_request, "creation needs Upload-Length", {}});
  if (*length == 0) return tusError({http::status::bad_request, "the movie is empty", {}});
  auto body = contentLength(req);
  if ((body && *body > 0) || req.find(http::field::transfer_encoding) != req.end())
    return tusError({http::status::bad_request, "creation-with-upload is not supported; PATCH the data", {}});
  std::string metadata(req["Upload-Metadata"]);
  if (!validMetadata(metadata)) return tusError({http::status::bad_request, "Upload-Metadata is malformed or too long", {}});
  auto record = createUpload(app, video_id, "tus", *length, metadata);
  if (!record) {
    Response r = tusError(record.error());
    if (record.error().status == http::status::payload_too_large)
      r.header.set("Tus-Max-Size", std::to_string(app.config.max_movie_bytes));
    return r;
  }
  Response r = emptyResponse(http::status::created);
  decorate(r);
  r.header.set(http::field::location, "/tus/uploads/" + record->token);
  setExpires(r, record->expires_at_ms);
  return r;
}

Response offset(App& app, const RequestHeader& req, const std::string& token) {
  if (auto bad = checkVersion(req)) return std::move(*bad);
  UploadAppender::supersedeRunning(app, token);  // never report a stale offset
  auto found = findLiveUpload(app, token);
  if (!found) return tusError({http::status::internal_server_error, "the catalogue failed; try again later", {}});
  if (!*found || (*found)->protocol != "tus") return tusError({http::status::not_found, "no such upload", {}});
  Response r = emptyResponse(http::status::ok);
  r.head_only = true;
  decorate(r);
  r.header.set("Upload-Offset", std::to_string((*found)->offset));
  if ((*found)->length) r.header.set("Upload-Length", std::to_string(*(*found)->length));
  if (!(*found)->metadata.empty()) r.header.set("Upload-Metadata", (*found)->metadata);
  r.header.set(http::field::cache_control, "no-store");
  r.header.set(http::field::content_length, "0");
  setExpires(r, (*found)->expires_at_ms);
  return r;
}

Response terminate(App& app, const RequestHeader& req, const std::string& token) {
  if (auto bad = checkVersion(req)) return std::move(*bad);
  auto removed = removeUpload(app, token);
  if (!removed) return tusError(removed.error());
  Response r = emptyResponse(http::status::no_content);
  decorate(r);
  return r;
}

// PATCH: the bytes at Upload-Offset; the upload completes when the offset reaches the length.
class PatchHandler final : public RequestHandler {
 public:
  PatchHandler(App& app, std::string token) : app_(app), token_(std::move(token)) {}

  std::optional<Response> start(const RequestHeader& req, std::vector<Response>&) override {
    if (auto bad = checkVersion(req)) return bad;
    if (!beast::iequals(req[http::field::content_type], "application/offset+octet-stream"))
      return tusError({http::status::unsupported_media_type, "PATCH with Content-Type: application/offset+octet-stream", {}});
    auto offset = headerNumber(req, "Upload-Offset");
    if (!offset) return tusError({http::status::bad_request, "PATCH needs Upload-Offset", {}});
    auto appender = UploadAppender::open(app_, token_);
    if (!appender) return tusError(appender.error());
    if ((*appender)->record().protocol != "tus") return tusError({http::status::not_found, "no such upload", {}});
    if (*offset != (*appender)->offset()) {
      Response r = tusError({http::status::conflict, "the upload is at offset " + std::to_string((*appender)->offset()) +
                                                         ", not " + std::to_string(*offset) + "; resume from there", {}});
      r.header.set("Upload-Offset", std::to_string((*appender)->offset()));
      return r;
    }
    spdlog::info("tus upload {}: PATCH appends at offset {}", token_.substr(0, 8), *offset);  // operators see resumes
    appender_ = std::move(*appender);
    return std::nullopt;
  }

  HttpResult<void> body(std::string_view bytes) override { return appender_->append(bytes); }

  Response finish() override {
    const auto& record = appender_->record();
    if (record.length && appender_->offset() == *record.length && !record.complete) {
      auto done = appender_->complete();
      if (!done) return tusError(done.error());
    } else if (auto r = appender_->persist(); !r) {
      return tusError(r.error());
    }
    Response r = emptyResponse(http::status::no_content);
    decorate(r);
    r.header.set("Upload-Offset", std::to_string(appender_->record().offset));
    setExpires(r, appender_->record().expires_at_ms);
    return r;
  }

  void abort() override { appender_.reset(); }

 private:
  App& app_;
  std::string token_;
  std::unique_ptr<UploadAppender> appender_;
};

}  // namespace

std::unique_ptr<RequestHandler> makeTusCreation(App& app, std::string video_id) {
  return immediate([&app, video_id](const RequestHeader& r) { return create(app, r, video_id); });
}

std::unique_ptr<RequestHandler> makeTusUpload(App& app, std::string token, http::verb method) {
  switch (method) {
    case http::verb::patch: return std::make_unique<PatchHandler>(app, std::move(token));
    case http::verb::head: return immediate([&app, token](const RequestHeader& r) { return offset(app, r, token); });
    default: return immediate([&app, token](const RequestHeader& r) { return terminate(app, r, token); });
  }
}

std::unique_ptr<RequestHandler> makeTusOptions(App& app) {
  return immediate([&app](const RequestHeader&) { return optionsResponse(app); });
}

}  // namespace vf
