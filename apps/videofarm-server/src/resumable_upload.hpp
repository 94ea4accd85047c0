#pragma once
// Resumable uploads of a video's movie: the IETF "Resumable Uploads for HTTP" draft.

#include <memory>
#include <string>

#include "app.hpp"
#include "http_types.hpp"

namespace vf {

// PUT/POST /videos/:id/movie with Upload-Draft-Interop-Version: upload creation.
std::unique_ptr<RequestHandler> makeIetfCreation(App& app, std::string video_id);
// HEAD (offset), PATCH (append), DELETE (cancel), OPTIONS on /uploads/:token.
std::unique_ptr<RequestHandler> makeIetfUpload(App& app, std::string token);
// OPTIONS: the limits (Upload-Limit).
std::unique_ptr<RequestHandler> makeIetfOptions(App& app);

}  // namespace vf
