#pragma once
// An HTTP request as an application describes it: what libferry sends, what the protocol carries
// and what the engine performs. Plain values; validation is the protocol's (requestFromJson).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "model/url_list.hpp"

namespace ferry::model {

struct Header {
  std::string name;
  std::string value;
  bool operator==(const Header&) const = default;
};

struct HttpRequest {
  std::string url;
  std::string method = "GET";
  std::vector<Header> headers;
  // A transfer that moves fewer than 1 byte/s for this long is a stall (a transient failure).
  // Never a whole-transfer timeout: a large download may take hours.
  // Seconds as 32 bits (at most 30 days are accepted): ferryd keeps every task's request in memory.
  std::chrono::duration<std::int32_t> stall_timeout{60};
  std::chrono::duration<std::int32_t> connect_timeout{30};
  // Downloads: at most this many connections fetch the body at once, each its own byte range
  // (segmented download, engine/segmented_attempt.hpp), when the server serves ranges of an entity
  // with a validator; else one. 1 to kMaxConnections. (Next to the timeouts: no padding.)
  std::int32_t connections = 1;
  static constexpr int kMaxConnections = 16;
  // Downloads: the digest the body must have ("sha-256=HEX" / "sha-512=HEX", lowercase: the protocol
  // stores it in this form after common/digest.hpp's parseExpectedDigest read it); empty: none.
  std::string expected_digest;
  // Downloads: other URLs of the same file (same length and validator). A segmented download
  // fetches its segments from all of them; a mirror that fails, or whose file differs, is dropped.
  // At least one connection per URL is used (connections is raised to 1 + mirrors, up to 16).
  UrlList mirrors;
  static constexpr std::size_t kMaxMirrors = 8;
  // The connections a download may use: as asked, and at least one per URL.
  int connectionsWanted() const {
    const int per_url = 1 + static_cast<int>(mirrors.size());
    return std::min(std::max(connections, per_url), kMaxConnections);
  }
  bool operator==(const HttpRequest&) const = default;
};

}  // namespace ferry::model
