#pragma once
// A streaming multipart/form-data parser (RFC 7578 / RFC 2046 §5.1).
// Bytes are fed in pieces of any size; part data is handed out as it arrives, holding back only
// as many bytes as could be the start of a delimiter, so memory stays bounded by the delimiter
// length plus one piece (and the part-header limit) however large a part is.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace vf {

struct PartHeaders {
  std::string name;                     // Content-Disposition name
  std::optional<std::string> filename;  // Content-Disposition filename, when given
  std::string content_type;             // as sent (never trusted for files: sniff the bytes)
};

// What the parser reports to. A failed Result stops the parser with that error.
class MultipartHandler {
 public:
  virtual ~MultipartHandler() = default;
  virtual ferry::Result<void> onPartBegin(const PartHeaders& headers) = 0;
  virtual ferry::Result<void> onPartData(std::string_view data) = 0;
  virtual ferry::Result<void> onPartEnd() = 0;
};

struct MultipartLimits {
  std::size_t max_part_header_bytes = 4096;
  std::size_t max_parts = 16;
};

class MultipartParser {
 public:
  MultipartParser(std::string boundary, MultipartHandler& handler, MultipartLimits limits = {});

  // Feeds the next piece of the body. After an error every later call fails the same way.
  ferry::Result<void> feed(std::string_view bytes);
  // The body ended: fails unless the closing delimiter has been seen.
  ferry::Result<void> finish();
  bool done() const { return state_ == State::Epilogue; }

 private:
  enum class State { Preamble, AfterDelimiter, PartHeaders, PartBody, Epilogue, Failed };

  ferry::Result<void> step(bool& progressed);
  ferry::Result<void> stepPreamble(bool& progressed);
  ferry::Result<void> stepAfterDelimiter(bool& progressed);
  ferry::Result<void> stepHeaders(bool& progressed);
  ferry::Result<void> stepBody(bool& progressed);
  ferry::Result<void> failWith(std::string message);

  std::string delimiter_;  // "\r\n--" + boundary
  MultipartHandler& handler_;
  MultipartLimits limits_;
  std::string pending_;  // bytes received and not yet consumed
  State state_ = State::Preamble;
  std::size_t parts_ = 0;
  std::string error_;
};

// The boundary parameter of a multipart/form-data Content-Type, or an error saying what is wrong.
ferry::Result<std::string> multipartBoundary(std::string_view content_type);

// Parses the header block of one part ("Name: value\r\n..." without the final empty line).
ferry::Result<PartHeaders> parsePartHeaders(std::string_view block);

}  // namespace vf
