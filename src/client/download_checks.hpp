#pragma once
// DownloadOptions values the client refuses itself, before anything is sent: Session and the C
// API's setters give the same invalid-argument error.

#include <string>

#include "ferry/types.hpp"
#include "model/http_request.hpp"

namespace ferry {

static_assert(DownloadOptions::kMaxConnections == model::HttpRequest::kMaxConnections,
              "the public limit is the one the protocol enforces");

inline Result<void> checkConnections(int connections) {
  if (connections >= 1 && connections <= DownloadOptions::kMaxConnections) return {};
  return fail(errc::invalid_argument, "connections is " + std::to_string(connections) + "; give a whole number from 1 to " +
                                          std::to_string(DownloadOptions::kMaxConnections));
}

}  // namespace ferry
