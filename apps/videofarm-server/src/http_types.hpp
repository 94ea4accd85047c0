#pragma once
// What the HTTP session and the route handlers exchange.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http.hpp>
#include <tl/expected.hpp>

#include "common/unique_fd.hpp"

namespace vf {

namespace http = boost::beast::http;

using RequestHeader = http::request_header<>;
using ResponseHeader = http::response_header<>;

// A part of an open file sent with sendfile(2) after the header.
struct FileSpan {
  ferry::UniqueFd fd;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

class BlobReader;

// A part of a blob that is not a local file (RADOS), read piece by piece and written after the header.
struct BlobSpan {
  std::shared_ptr<BlobReader> reader;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

struct Response {
  ResponseHeader header;
  std::string body;
  std::optional<FileSpan> file;  // body from a file instead of `body`
  std::optional<BlobSpan> blob;  // body from the blob store instead of `body`
  bool head_only = false;        // HEAD: Content-Length is set by the handler, no body is sent
  bool close = false;            // close the connection after this response
};

// A header field of an answer, named by Beast's enum or (fields it does not know) by its name.
struct HeaderField {
  HeaderField(http::field f, std::string v) : name(http::to_string(f)), value(std::move(v)) {}
  HeaderField(std::string n, std::string v) : name(std::move(n)), value(std::move(v)) {}
  std::string name;
  std::string value;
};

// A failure with the status it answers with; the body is {"error": message}.
struct Problem {
  http::status status = http::status::bad_request;
  std::string message;
  std::vector<HeaderField> headers;  // e.g. Allow for 405, Upload-Offset for a busy upload's 409
};

template <class T>
using HttpResult = tl::expected<T, Problem>;

inline tl::unexpected<Problem> problem(http::status status, std::string message) {
  return tl::unexpected<Problem>(Problem{status, std::move(message), {}});
}

// Builds responses with the common headers.
Response jsonResponse(http::status status, const std::string& json_text);
Response errorResponse(const Problem& p);
Response emptyResponse(http::status status);
// An informational (1xx) response; `reason` for codes Beast has no name for (104).
Response interimResponse(unsigned code, std::string_view reason);

// One request's life in a route: after the header, maybe its body piece by piece, then the
// answer. A handler that answers from start() never sees the body.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Returns the final response now (the body is not read), or nullopt to read the body.
  // May append interim (1xx) responses to send before the body is read.
  virtual std::optional<Response> start(const RequestHeader& header, std::vector<Response>& interim) = 0;
  virtual HttpResult<void> body(std::string_view bytes) { (void)bytes; return {}; }
  // The whole body has been received.
  virtual Response finish() = 0;
  // The connection failed or timed out before finish(): undo what must not stay visible.
  virtual void abort() {}
};

}  // namespace vf
