// The IETF "Resumable Uploads for HTTP" draft, interop versions 6 (draft -04/-05; what iOS 18
// and tus-js-client's `ietf-draft-05` mode send) and 8 (drafts -09 and later). The two differ
// for this server only in the name of the lifetime limit (`expires` in 6, `max-age` in 8).
//
// Creation: PUT or POST /videos/ID/movie with Upload-Draft-Interop-Version and Upload-Complete.
// The upload resource is /uploads/TOKEN (HEAD offset, PATCH append, DELETE cancel, OPTIONS).
#include "resumable_upload.hpp"

#include <boost/beast/core/string.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "handlers.hpp"
#include "structured_fields.hpp"
#include "text.hpp"
#include "upload_appender.hpp"

namespace vf {
namespace {

namespace beast = boost::beast;

constexpr std::string_view kVersionField = "Upload-Draft-Interop-Version";
constexpr std::string_view kPartialUpload = "application/partial-upload";

std::optional<int> requestedVersion(const RequestHeader& req) {
  auto it = req.find(kVersionField);
  if (it == req.end()) return std::nullopt;
  auto v = parseSfNonNegativeInteger(it->value());
  if (!v || *v > 1000) return -1;
  return static_cast<int>(*v);
}

int versionOf(const RequestHeader& req) {
  auto v = requestedVersion(req);
  return v && isSupportedIetfVersion(*v) ? *v : kLatestIetfVersion;
}

std::string uploadLimit(const App& app, int version, std::optional<std::int64_t> expires_at_ms) {
  std::int64_t age = expires_at_ms ? std::max<std::int64_t>(0, (*expires_at_ms - nowMs()) / 1000)
                                   : static_cast<std::int64_t>(app.config.upload_expiry.count());
  return "max-size=" + std::to_string(app.config.max_movie_bytes) + (version == 6 ? ", expires=" : ", max-age=") +
         std::to_string(age);
}

// Headers every answer about an upload carries.
void decorate(Response& r, const App& app, int version, std::optional<std::int64_t> expires_at_ms) {
  r.header.set(kVersionField, std::to_string(version));
  r.header.set("Upload-Limit", uploadLimit(app, version, expires_at_ms));
}

Response problemResponse(const Problem& p, const App& app, int version) {
  Response r = errorResponse(p);
  decorate(r, app, version, std::nullopt);
  return r;
}

Response mismatchingOffset(const App& app, int version, std::uint64_t expected, std::uint64_t provided) {
  nlohmann::json body{{"type", "https://iana.org/assignments/http-problem-types#mismatching-upload-offset"},
                      {"title", "offset from request does not match offset of resource"},
                      {"expected-offset", expected},
                      {"provided-offset", provided},
                      {"error", "the upload is at offset " + std::to_string(expected) + ", not " +
                                    std::to_string(provided) + "; resume from there"}};
  Response r = jsonResponse(http::status::conflict, body.dump());
  r.header.set(http::field::content_type, "application/problem+json");
  r.header.set("Upload-Offset", std::to_string(expected));
  decorate(r, app, version, std::nullopt);
  return r;
}

// Length from Upload-Length and from Upload-Complete: ?1 + Content-Length; they must agree.
HttpResult<std::optional<std::uint64_t>> declaredLength(const RequestHeader& req, std::uint64_t offset, bool complete) {
  std::optional<std::uint64_t> length;
  if (auto it = req.find("Upload-Length"); it != req.end()) {
    length = parseSfNonNegativeInteger(it->value());
    if (!length) return problem(http::status::bad_request, "Upload-Length must be a non-negative integer");
  }
  auto content_length = contentLength(req);
  if (complete && content_length) {
    std::uint64_t implied = offset + *content_length;
    if (length && *length != implied)
      return problem(http::status::bad_request, "Upload-Length and Content-Length disagree (inconsistent length)");
    length = implied;
  }
  return length;
}

// The final answer once the whole movie is in: what PUT /videos/ID/movie would have answered.
Response completedResponse(const std::string& video_id, bool replaced, std::uint64_t length) {
  Response r = emptyResponse(replaced ? http::status::no_content : http::status::created);
  if (!replaced) r.header.set(http::field::location, "/videos/" + video_id + "/movie");
  r.header.set("Upload-Complete", "?1");
  r.header.set("Upload-Offset", std::to_string(length));
  return r;
}

// Creation and append share the body handling: bytes go to the appender, then either the upload
// completes (Upload-Complete: ?1) or its durable offset is acknowledged.
class AppendingHandler : public RequestHandler {
 protected:
  explicit AppendingHandler(App& app) : app_(app) {}

  HttpResult<void> body(std::string_view bytes) override { return appender_->append(bytes); }

  Response finish() override {
    if (complete_) {
      auto done = appender_->complete();
      if (!done) return problemResponse(done.error(), app_, version_);
      Response r = completedResponse(appender_->record().video_id, *done, appender_->offset());
      r.header.set(kVersionField, std::to_string(version_));
      return r;
    }
    auto offset = appender_->persist();
    if (!offset) return problemResponse(offset.error(), app_, version_);
    return incompleteResponse(*offset);
  }

  // The request ended early: the appender's destructor syncs and records what arrived.
  void abort() override { appender_.reset(); }

  virtual Response incompleteResponse(std::uint64_t offset) = 0;

  App& app_;
  int version_ = kLatestIetfVersion;
  bool complete_ = false;
  std::unique_ptr<UploadAppender> appender_;
};

class CreationHandler final : public AppendingHandler {
 public:
  CreationHandler(App& app, std::string video_id) : AppendingHandler(app), video_id_(std::move(video_id)) {}

  std::optional<Response> start(const RequestHeader& req, std::vector<Response>& interim) override {
    version_ = versionOf(req);
    auto complete = req.find("Upload-Complete");
    auto flag = complete == req.end() ? std::nullopt : parseSfBoolean(complete->value());
    if (!flag) return problemResponse({http::status::bad_request, "upload creation needs Upload-Complete: ?0 or ?1", {}}, app_, version_);
    complete_ = *flag;
    auto length = declaredLength(req, 0, complete_);
    if (!length) return problemResponse(length.error(), app_, version_);
    auto record = createUpload(app_, video_id_, "ietf", *length, "");
    if (!record) return problemResponse(record.error(), app_, version_);
    auto appender = UploadAppender::open(app_, record->token);
    if (!appender) return problemResponse(appender.error(), app_, version_);
    appender_ = std::move(*appender);
    location_ = "/uploads/" + record->token;
    // 104 tells the client where to resume if this request is cut.
    Response resumable = interimResponse(104, "Upload Resumption Supported");
    resumable.header.set(http::field::location, location_);
    decorate(resumable, app_, version_, record->expires_at_ms);
    interim.push_back(std::move(resumable));
    return std::nullopt;
  }

 private:
  Response incompleteResponse(std::uint64_t offset) override {
    Response r = emptyResponse(http::status::created);
    r.header.set(http::field::location, location_);
    r.header.set("Upload-Complete", "?0");
    r.header.set("Upload-Offset", std::to_string(offset));
    decorate(r, app_, version_, appender_->record().expires_at_ms);
    return r;
  }

  std::string video_id_;
  std::string location_;
};

class AppendHandler final : public AppendingHandler {
 public:
  AppendHandler(App& app, std::string token) : AppendingHandler(app), token_(std::move(token)) {}

  std::optional<Response> start(const RequestHeader& req, std::vector<Response>&) override {
    version_ = versionOf(req);
    auto type = req[http::field::content_type];
    if (!beast::iequals(std::string_view(type).substr(0, type.find(';')), kPartialUpload))
      return problemResponse({http::status::unsupported_media_type, "append with Content-Type: application/partial-upload", {}},
                             app_, version_);
    auto offset_field = req.find("Upload-Offset");
    auto offset = offset_field == req.end() ? std::nullopt : parseSfNonNegativeInteger(offset_field->value());
    if (!offset) return problemResponse({http::status::bad_request, "append needs Upload-Offset", {}}, app_, version_);
    auto complete = req.find("Upload-Complete");
    auto flag = complete == req.end() ? std::nullopt : parseSfBoolean(complete->value());
    if (!flag) return problemResponse({http::status::bad_request, "append needs Upload-Complete: ?0 or ?1", {}}, app_, version_);
    complete_ = *flag;

    auto appender = UploadAppender::open(app_, token_);
    if (!appender) return problemResponse(appender.error(), app_, version_);
    if ((*appender)->record().protocol != "ietf") return problemResponse({http::status::not_found, "no such upload", {}}, app_, version_);
    if (*offset != (*appender)->offset()) return mismatchingOffset(app_, version_, (*appender)->offset(), *offset);
    auto length = declaredLength(req, *offset, complete_);
    if (!length) return problemResponse(length.error(), app_, version_);
    if (*length) {
      if (auto r = (*appender)->setLength(**length); !r) return problemResponse(r.error(), app_, version_);
    }
    spdlog::info("upload {}: PATCH appends at offset {}", token_.substr(0, 8), *offset);  // operators see resumes
    appender_ = std::move(*appender);
    return std::nullopt;
  }

 private:
  Response incompleteResponse(std::uint64_t offset) override {
    Response r = emptyResponse(http::status::no_content);
    r.header.set("Upload-Complete", "?0");
    r.header.set("Upload-Offset", std::to_string(offset));
    decorate(r, app_, version_, appender_->record().expires_at_ms);
    return r;
  }

  std::string token_;
};

Response optionsResponse(const App& app, const RequestHeader& req, const std::string& allow) {
  Response r = emptyResponse(http::status::no_content);
  r.header.set("Accept-Patch", std::string(kPartialUpload));
  r.header.set(http::field::allow, allow);
  decorate(r, app, versionOf(req), std::nullopt);
  return r;
}

Response offsetResponse(App& app, const RequestHeader& req, const std::string& token) {
  const int version = versionOf(req);
  UploadAppender::supersedeRunning(app, token);  // never report a stale offset
  auto found = findLiveUpload(app, token);
  if (!found) return problemResponse({http::status::internal_server_error, "the catalogue failed; try again later", {}}, app, version);
  if (!*found || (*found)->protocol != "ietf") return problemResponse({http::status::not_found, "no such upload", {}}, app, version);
  const UploadRecord& u = **found;
  Response r = emptyResponse(http::status::no_content);
  r.header.set("Upload-Offset", std::to_string(u.offset));
  r.header.set("Upload-Complete", u.complete ? "?1" : "?0");
  if (u.length) r.header.set("Upload-Length", std::to_string(*u.length));
  r.header.set(http::field::cache_control, "no-store");
  decorate(r, app, version, u.expires_at_ms);
  return r;
}

Response cancelResponse(App& app, const RequestHeader& req, const std::string& token) {
  const int version = versionOf(req);
  auto removed = removeUpload(app, token);
  if (!removed) return problemResponse(removed.error(), app, version);
  Response r = emptyResponse(http::status::no_content);
  r.header.set(kVersionField, std::to_string(version));
  return r;
}

}  // namespace

bool isSupportedIetfVersion(int version) { return version == 6 || version == 8; }

bool wantsIetfCreation(const RequestHeader& req) {
  auto v = requestedVersion(req);
  return v && isSupportedIetfVersion(*v);
}

std::unique_ptr<RequestHandler> makeIetfCreation(App& app, std::string video_id) {
  return std::make_unique<CreationHandler>(app, std::move(video_id));
}

std::unique_ptr<RequestHandler> makeIetfUpload(App& app, std::string token, http::verb method) {
  switch (method) {
    case http::verb::patch: return std::make_unique<AppendHandler>(app, std::move(token));
    case http::verb::head:
      return immediate([&app, token](const RequestHeader& r) { return offsetResponse(app, r, token); });
    case http::verb::delete_:
      return immediate([&app, token](const RequestHeader& r) { return cancelResponse(app, r, token); });
    default:
      return immediate([&app](const RequestHeader& r) { return optionsResponse(app, r, "HEAD, PATCH, DELETE, OPTIONS"); });
  }
}

std::unique_ptr<RequestHandler> makeIetfOptions(App& app) {
  return immediate([&app](const RequestHeader& r) { return optionsResponse(app, r, "GET, HEAD, PUT, POST, OPTIONS"); });
}

}  // namespace vf
