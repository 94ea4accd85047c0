#pragma once
// Up-front URL validation with libcurl's own parser (curl_url), so that a bad URL fails at once
// with a clear error instead of as an obscure transfer failure after queueing.

#include <string>

#include "common/error.hpp"

namespace ferry::engine {

struct CheckedUrl {
  std::string scheme;    // "http" or "https"
  std::string host_key;  // "scheme://host:port": the per-host scheduling key
};

// errc::bad_url for a malformed URL, errc::unsupported_scheme for anything but http/https.
Result<CheckedUrl> checkUrl(const std::string& url);

// The host of a URL of any scheme (a proxy's socks5:// too), lower case, IPv6 in brackets;
// empty when it cannot be parsed.
std::string hostOf(const std::string& url);

}  // namespace ferry::engine
