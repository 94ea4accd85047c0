#pragma once
// libvideofarm's error codes, in addition to ferry's (ferry::errc): failures come back as
// ferry::Result<T> with a stable code and a sentence that says what to do.

#include <string_view>

#include <ferry/error.hpp>

namespace videofarm {

using ferry::Error;
using ferry::Result;
using ferry::fail;

namespace errc {
using namespace ferry::errc;
// The VideoFarm server could not be reached (refused, DNS, timeout).
inline constexpr std::string_view server_unreachable = "server-unreachable";
// The server answered, but not with what the VideoFarm API promises (garbage JSON, missing fields).
inline constexpr std::string_view bad_answer = "bad-answer";
// The server refused the request (4xx/5xx); the message carries the server's own {"error"}.
inline constexpr std::string_view server_refused = "server-refused";
// The state database cannot be used (not a database, damaged, from a newer version).
inline constexpr std::string_view state_unusable = "state-unusable";
}  // namespace errc

}  // namespace videofarm
