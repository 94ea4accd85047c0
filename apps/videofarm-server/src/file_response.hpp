#pragma once
// Answers GET/HEAD for a stored representation (a blob of the store, or a static file on disk):
// validators (strong ETag, Last-Modified), conditional requests (If-None-Match,
// If-Modified-Since, If-Range) and a single byte Range. The body is sent after the header:
// sendfile(2) from a local file, or read piece by piece from a blob elsewhere.

#include <filesystem>
#include <memory>
#include <string>

#include "blob_store.hpp"
#include "http_types.hpp"

namespace vf {

struct FileResponseOptions {
  std::string content_type;
  std::string cache_control;
  bool ranges = true;
};

// A static file; a missing one is a 404.
Response fileResponse(const RequestHeader& req, const std::filesystem::path& path, const FileResponseOptions& options);
// A blob opened from the store.
Response blobResponse(const RequestHeader& req, std::shared_ptr<BlobReader> blob, const FileResponseOptions& options);

}  // namespace vf
