#pragma once
// Resumable uploads of a video's movie: tus 1.0.0 (core, creation, termination, expiration).

#include <memory>
#include <string>

#include "app.hpp"
#include "http_types.hpp"

namespace vf {

// POST /tus/videos/:id: creation.
std::unique_ptr<RequestHandler> makeTusCreation(App& app, std::string video_id);
// HEAD, PATCH, DELETE /tus/uploads/:token.
std::unique_ptr<RequestHandler> makeTusUpload(App& app, std::string token, http::verb method);
// OPTIONS: Tus-Version, Tus-Extension, Tus-Max-Size.
std::unique_ptr<RequestHandler> makeTusOptions(App& app);

}  // namespace vf
