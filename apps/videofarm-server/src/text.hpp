#pragma once
// Small text helpers for HTTP: query strings, UTF-8, HTTP dates, header values.

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http_types.hpp"

namespace vf {

// "a=1&b=x%20y" -> {{"a","1"},{"b","x y"}}; '+' is a space. Malformed escapes are kept as they are.
std::vector<std::pair<std::string, std::string>> parseQuery(std::string_view query);
std::string percentDecode(std::string_view s, bool plus_is_space);

bool isValidUtf8(std::string_view s);

// IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") both ways.
std::string httpDate(std::time_t t);
std::optional<std::time_t> parseHttpDate(std::string_view s);

// Content-Length of a request, when it has one.
std::optional<std::uint64_t> contentLength(const RequestHeader& req);

// A non-negative decimal with nothing around it.
std::optional<std::uint64_t> parseUnsigned(std::string_view s);

}  // namespace vf
