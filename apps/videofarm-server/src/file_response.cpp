#include "file_response.hpp"
#include "ows.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>

#include "byte_range.hpp"
#include "text.hpp"

namespace vf {
namespace {

// If-None-Match uses the weak comparison (RFC 9110 §13.1.2).
bool noneMatchHits(std::string_view header, const std::string& etag) {
  header = trimOws(header);
  if (header == "*") return true;
  std::string_view bare = std::string_view(etag);
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view tag = trimOws(header.substr(0, comma));
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == bare) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

// If-Range: a strong ETag compared strongly, or an HTTP date equal to Last-Modified.
bool ifRangeHolds(std::string_view value, const std::string& etag, std::time_t mtime) {
  value = trimOws(value);
  if (value.substr(0, 2) == "W/") return false;
  if (!value.empty() && value.front() == '"') return value == etag;
  auto date = parseHttpDate(value);
  return date && *date == mtime;
}

void setValidators(Response& r, const std::string& etag, std::time_t mtime, const FileResponseOptions& o) {
  r.header.set(http::field::etag, etag);
  r.header.set(http::field::last_modified, httpDate(mtime));
  if (!o.cache_control.empty()) r.header.set(http::field::cache_control, o.cache_control);
}


struct ByteSpan {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// The answer's status and headers for a representation with these validators; `span` is set to
// the bytes to send (none for 304, 416 and HEAD).
Response conditionalResponse(const RequestHeader& req, const BlobInfo& info, const FileResponseOptions& o,
                             std::optional<ByteSpan>& span) {
  const std::uint64_t size = info.size;
  const std::time_t mtime = info.last_modified;
  const std::string& etag = info.etag;

  auto inm = req.find(http::field::if_none_match);
  auto ims = req.find(http::field::if_modified_since);
  bool not_modified = false;
  if (inm != req.end()) {
    not_modified = noneMatchHits(inm->value(), etag);
  } else if (ims != req.end()) {
    auto since = parseHttpDate(ims->value());
    not_modified = since && mtime <= *since;
  }
  if (not_modified) {
    Response r = emptyResponse(http::status::not_modified);
    setValidators(r, etag, mtime, o);
    return r;
  }

  RangeDecision range;
  auto range_header = req.find(http::field::range);
  if (o.ranges && range_header != req.end()) {
    auto if_range = req.find(http::field::if_range);
    if (if_range == req.end() || ifRangeHolds(if_range->value(), etag, mtime))
      range = evaluateRange(range_header->value(), size);
  }

  if (range.kind == RangeDecision::Kind::Unsatisfiable) {
    Response r = errorResponse({http::status::range_not_satisfiable,
                                "the range is outside the " + std::to_string(size) + " bytes of the file", {}});
    r.header.set(http::field::content_range, "bytes */" + std::to_string(size));
    setValidators(r, etag, mtime, o);
    return r;
  }

  Response r;
  r.header.set(http::field::content_type, o.content_type);
  if (o.ranges) r.header.set(http::field::accept_ranges, "bytes");
  setValidators(r, etag, mtime, o);
  ByteSpan body{0, size};
  if (range.kind == RangeDecision::Kind::Partial) {
    r.header.result(http::status::partial_content);
    r.header.set(http::field::content_range, "bytes " + std::to_string(range.first) + "-" +
                                                 std::to_string(range.last) + "/" + std::to_string(size));
    body = {range.first, range.length()};
  } else {
    r.header.result(http::status::ok);
  }
  if (req.method() == http::verb::head) {
    r.head_only = true;
    r.header.set(http::field::content_length, std::to_string(body.length));
  } else {
    span = body;
  }
  return r;
}

}  // namespace

Response fileResponse(const RequestHeader& req, const std::filesystem::path& path, const FileResponseOptions& o) {
  ferry::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st{};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
    return errorResponse({http::status::not_found, "the file is not there (yet)", {}});
  std::optional<ByteSpan> span;
  Response r = conditionalResponse(req, localBlobInfo(st), o, span);
  if (span) r.file = FileSpan{std::move(fd), span->offset, span->length};
  return r;
}

Response blobResponse(const RequestHeader& req, std::shared_ptr<BlobReader> blob, const FileResponseOptions& o) {
  std::optional<ByteSpan> span;
  Response r = conditionalResponse(req, blob->info(), o, span);
  if (!span) return r;
  if (blob->fd() >= 0) {
    // A local file: a descriptor of its own, so that sendfile(2) needs no reader.
    ferry::UniqueFd fd(::fcntl(blob->fd(), F_DUPFD_CLOEXEC, 0));
    if (!fd) return errorResponse({http::status::service_unavailable, "too many open files; try again shortly", {}});
    r.file = FileSpan{std::move(fd), span->offset, span->length};
    return r;
  }
  r.blob = BlobSpan{std::move(blob), span->offset, span->length};
  return r;
}

}  // namespace vf
