#pragma once
// The route handlers, one factory per route and method. The router picks one per request.

#include <functional>
#include <memory>
#include <string>

#include "app.hpp"
#include "http_types.hpp"

namespace vf {

// A handler that answers from the header alone.
class ImmediateHandler final : public RequestHandler {
 public:
  using Fn = std::function<Response(const RequestHeader&)>;
  explicit ImmediateHandler(Fn fn) : fn_(std::move(fn)) {}
  std::optional<Response> start(const RequestHeader& header, std::vector<Response>&) override { return fn_(header); }
  Response finish() override { return emptyResponse(http::status::internal_server_error); }

 private:
  Fn fn_;
};

std::unique_ptr<RequestHandler> immediate(ImmediateHandler::Fn fn);
std::unique_ptr<RequestHandler> immediateProblem(Problem p);

// video_handlers.cpp
Response listVideos(App& app, std::string_view query);
Response getVideo(App& app, const std::string& id);
Response deleteVideo(App& app, const std::string& id);
// `owner`: the user the video belongs to (none with --open-writes).
std::unique_ptr<RequestHandler> makeCreateVideo(App& app, std::optional<std::string> owner);

// A failure of the blob store as an answer (and a line in the log): 503 with Retry-After when the
// store does not answer (an OSD down, the cluster unreachable), 507 when it is full, 500 else.
// `doing`: what failed and what to do, e.g. "store the movie; try again".
Problem storeProblem(const ferry::Error& error, const std::string& doing);
// 409 for a request that finds another request appending to the upload (here or on another
// instance): Upload-Offset is the offset that is durable now.
Problem uploadBusy(std::uint64_t durable_offset);

// movie_handlers.cpp
std::unique_ptr<RequestHandler> makePutMovie(App& app, std::string id);
Response getMovie(App& app, const RequestHeader& req, const std::string& id);
Response getThumbnail(App& app, const RequestHeader& req, const std::string& id);
// Commits a complete blob as the video's movie (durable first, then in place), reads its type and
// duration and records it. Returns whether the video had a movie before (replace) or not (create).
HttpResult<bool> installMovie(App& app, const std::string& id, BlobWriter& complete_blob);

// static_files.cpp
Response getStaticFile(App& app, const RequestHeader& req, const std::string& name);

}  // namespace vf
