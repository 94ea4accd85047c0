#pragma once
// Parsing of the credentials a request carries: `Authorization: Bearer TOKEN` (RFC 6750) and the
// session cookie in `Cookie` (RFC 6265). Pure functions of the header text, fuzzed.

#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace vf {

inline constexpr std::string_view kSessionCookie = "vf_session";

// The token of a Bearer credential; an error for another scheme or a malformed value.
ferry::Result<std::string> parseBearer(std::string_view authorization);
// The value of cookie `name` in a Cookie header, if present (the first one when repeated).
std::optional<std::string> findCookie(std::string_view cookie_header, std::string_view name);
// The Set-Cookie value that gives the page its session (or, with an empty token, removes it).
std::string sessionCookie(const std::string& token);

}  // namespace vf
