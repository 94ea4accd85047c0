#pragma once
// Parsing of the response headers that decide how a body is written: Content-Range, ETag,
// plus the If-Range value we send. Pure functions, unit-tested without a network.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "engine/transfer.hpp"

namespace ferry::engine {

// "bytes 100-199/1000", "bytes 100-199/*" or (for 416) "bytes */1000".
struct ContentRange {
  std::optional<std::uint64_t> first;  // absent for "bytes */N"
  std::optional<std::uint64_t> last;
  std::optional<std::uint64_t> complete_length;  // absent for "/*"
};
std::optional<ContentRange> parseContentRange(std::string_view value);

// The ETag if it is strong, "" for a weak (W/...) or malformed one: only a strong validator may
// guard a byte range (RFC 9110 §13.1.5).
std::string strongEtag(std::string_view value);

// What If-Range carries for these validators: the strong ETag, else Last-Modified, else "".
std::string ifRangeValue(const Validators& validators);

// The method is a token and every header a token name with a value free of CR, LF and NUL, so
// that nothing a caller passes can smuggle extra lines into the request. errc::invalid_argument.
Result<void> checkRequestSyntax(const HttpRequest& request);

// Case-insensitive (ASCII) comparisons, as header names are compared.
bool equalsNoCase(std::string_view a, std::string_view b);
bool startsWithNoCase(std::string_view text, std::string_view prefix);

// A whole decimal number and nothing else (from_chars alone would accept a prefix).
std::optional<std::uint64_t> parseDecimal(std::string_view text);

// Trims optional whitespace (SP / HTAB) around a header value.
std::string_view trimHeaderValue(std::string_view value);

}  // namespace ferry::engine
