#pragma once
// Resumable uploads of a video's movie: the IETF "Resumable Uploads for HTTP" draft, interop
// versions 6 and 8 (see docs/videofarm-server.md).

#include <memory>
#include <string>

#include "app.hpp"
#include "http_types.hpp"

namespace vf {

inline constexpr int kLatestIetfVersion = 8;
bool isSupportedIetfVersion(int version);
// The request carries Upload-Draft-Interop-Version with a version this server speaks.
bool wantsIetfCreation(const RequestHeader& req);

// PUT/POST /videos/:id/movie with a supported Upload-Draft-Interop-Version: upload creation.
std::unique_ptr<RequestHandler> makeIetfCreation(App& app, std::string video_id);
// HEAD (offset), PATCH (append), DELETE (cancel), OPTIONS on /uploads/:token.
std::unique_ptr<RequestHandler> makeIetfUpload(App& app, std::string token, http::verb method);
// OPTIONS on /videos/:id/movie: Accept-Patch and Upload-Limit.
std::unique_ptr<RequestHandler> makeIetfOptions(App& app);

}  // namespace vf
