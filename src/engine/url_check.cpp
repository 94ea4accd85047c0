#include "engine/url_check.hpp"

#include <algorithm>
#include <cctype>

#include "engine/curl_handles.hpp"

namespace ferry::engine {

namespace {

// curl_url_get hands out malloc'ed strings.
std::string takeUrlPart(CURLU* url, CURLUPart part, unsigned flags) {
  char* raw = nullptr;
  if (curl_url_get(url, part, &raw, flags) != CURLUE_OK || raw == nullptr) return {};
  std::string value(raw);
  curl_free(raw);
  return value;
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

Result<CheckedUrl> checkUrl(const std::string& url) {
  UrlHandle handle(curl_url());
  if (!handle) return fail(errc::internal, "Out of memory while parsing a URL.");
  // NON_SUPPORT_SCHEME: parse any scheme, so that "ftp://" or "foo://" is reported as an
  // unsupported scheme rather than as a malformed URL.
  CURLUcode rc = curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), CURLU_NON_SUPPORT_SCHEME);
  if (rc != CURLUE_OK) {
    return fail(errc::bad_url, "The URL \"" + url + "\" is not valid (" + curl_url_strerror(rc) +
                                   "); give a complete http:// or https:// URL.");
  }
  CheckedUrl checked;
  checked.scheme = lowercase(takeUrlPart(handle.get(), CURLUPART_SCHEME, 0));
  if (checked.scheme != "http" && checked.scheme != "https") {
    return fail(errc::unsupported_scheme, "The URL \"" + url + "\" uses the scheme \"" +
                                              checked.scheme +
                                              "\"; Ferry only transfers http:// and https:// URLs.");
  }
  std::string host = lowercase(takeUrlPart(handle.get(), CURLUPART_HOST, 0));
  if (host.empty()) {
    return fail(errc::bad_url, "The URL \"" + url + "\" has no host; give a complete http:// or https:// URL.");
  }
  std::string port = takeUrlPart(handle.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  checked.host_key = checked.scheme + "://" + host + ":" + port;
  return checked;
}

std::string hostOf(const std::string& url) {
  UrlHandle handle(curl_url());
  if (!handle || curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) return {};
  return lowercase(takeUrlPart(handle.get(), CURLUPART_HOST, 0));
}

}  // namespace ferry::engine
