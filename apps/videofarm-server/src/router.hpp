#pragma once
// Maps a request line to its handler: path patterns, methods (405 with Allow), id checks, and
// who may do what (access.hpp) before any handler runs.

#include <memory>
#include <string>

#include "app.hpp"
#include "http_types.hpp"

namespace vf {

// `peer` is the client's address (the login rate limit counts per address).
std::unique_ptr<RequestHandler> route(App& app, const RequestHeader& req, const std::string& peer);

}  // namespace vf
