#pragma once
// DownloadOptions values the client refuses itself, before anything is sent: Session and the C
// API's setters give the same invalid-argument error.

#include <cctype>
#include <string>
#include <vector>

#include "ferry/types.hpp"
#include "model/http_request.hpp"

namespace ferry {

static_assert(DownloadOptions::kMaxConnections == model::HttpRequest::kMaxConnections,
              "the public limit is the one the protocol enforces");
static_assert(DownloadOptions::kMaxMirrors == model::HttpRequest::kMaxMirrors,
              "the public limit is the one the protocol enforces");

inline Result<void> checkConnections(int connections) {
  if (connections >= 1 && connections <= DownloadOptions::kMaxConnections) return {};
  return fail(errc::invalid_argument, "connections is " + std::to_string(connections) + "; give a whole number from 1 to " +
                                          std::to_string(DownloadOptions::kMaxConnections));
}

// One more mirror for a download that has `already` of them: an http(s) URL, and room for it. The
// scheme is checked here because the engine ends the whole download on a mirror it cannot fetch.
inline Result<void> checkMirror(const std::string& url, std::size_t already) {
  if (url.empty()) return fail(errc::invalid_argument, "a mirror is empty; give the http:// or https:// URL of the same file");
  std::string head = url.substr(0, 8);
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!head.starts_with("http://") && !head.starts_with("https://"))
    return fail(errc::bad_url, "the mirror " + url.substr(0, 200) + " is not an http:// or https:// URL");
  if (already >= DownloadOptions::kMaxMirrors)
    return fail(errc::invalid_argument, "a download has at most " + std::to_string(DownloadOptions::kMaxMirrors) +
                                            " mirrors; drop " + url.substr(0, 200) + " or another one");
  return {};
}

inline Result<void> checkMirrors(const std::vector<std::string>& mirrors) {
  for (std::size_t i = 0; i < mirrors.size(); ++i)
    if (auto valid = checkMirror(mirrors[i], i); !valid) return valid;
  return {};
}

}  // namespace ferry
