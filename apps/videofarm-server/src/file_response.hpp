#pragma once
// Answers GET/HEAD for a file on disk: validators (strong ETag, Last-Modified), conditional
// requests (If-None-Match, If-Modified-Since, If-Range) and a single byte Range. The body is
// an open fd sent later with sendfile(2).

#include <filesystem>
#include <string>

#include "http_types.hpp"

namespace vf {

struct FileResponseOptions {
  std::string content_type;
  std::string cache_control;
  bool ranges = true;
};

// nullopt-like 404 is returned as a Response with the JSON error.
Response fileResponse(const RequestHeader& req, const std::filesystem::path& path, const FileResponseOptions& options);

}  // namespace vf
