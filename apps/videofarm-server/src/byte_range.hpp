#pragma once
// Range header evaluation for one representation of known length (RFC 9110 §14).
// Only single ranges are served as 206; several ranges answer with the whole body, which the RFC
// allows and which keeps the zero-copy sendfile path (no multipart/byteranges framing).

#include <cstdint>
#include <string_view>

namespace vf {

struct RangeDecision {
  enum class Kind {
    Full,           // no usable Range: 200 with the whole body
    Partial,        // 206 with [first, last]
    Unsatisfiable,  // 416 with Content-Range: bytes */length
  };
  Kind kind = Kind::Full;
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
  std::uint64_t length() const { return last - first + 1; }
};

// Evaluates a Range header value against a representation of `size` bytes.
// - a unit other than "bytes" is ignored (Full), as RFC 9110 requires;
// - a malformed "bytes=" set or one with no satisfiable range is Unsatisfiable (as nginx does);
// - more than one range, even overlapping, is answered in Full.
RangeDecision evaluateRange(std::string_view header, std::uint64_t size);

}  // namespace vf
