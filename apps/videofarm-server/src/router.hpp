#pragma once
// Maps a request line to its handler: path patterns, methods (405 with Allow), id checks.

#include <memory>

#include "app.hpp"
#include "http_types.hpp"

namespace vf {

std::unique_ptr<RequestHandler> route(App& app, const RequestHeader& req);

}  // namespace vf
