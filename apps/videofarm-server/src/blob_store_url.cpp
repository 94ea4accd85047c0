#include "blob_store_url.hpp"

#include "text.hpp"

namespace vf {
namespace {

constexpr std::string_view kScheme = "rados://";
constexpr std::string_view kExpected = "expected rados://POOL?conf=/path/to/ceph.conf&id=CLIENT";

// Pool and client names: what Ceph's tools accept without quoting.
bool isPlainName(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_';
    if (!ok) return false;
  }
  return true;
}

ferry::Result<std::optional<RadosLocation>> bad(const std::string& why) {
  return ferry::fail(ferry::errc::invalid_argument, "--blob-store: " + why + " (" + std::string(kExpected) + ")");
}

}  // namespace

ferry::Result<std::optional<RadosLocation>> parseBlobStoreUrl(std::string_view spec) {
  if (spec.empty() || spec == "local") return std::optional<RadosLocation>();
  if (spec.substr(0, kScheme.size()) != kScheme) {
    auto colon = spec.find(':');
    return bad(colon == std::string_view::npos ? "\"" + std::string(spec) + "\" is not a store URL"
                                               : "unknown scheme \"" + std::string(spec.substr(0, colon)) + "\"");
  }
  spec.remove_prefix(kScheme.size());
  auto q = spec.find('?');
  RadosLocation where;
  where.pool = percentDecode(spec.substr(0, q), false);
  if (!isPlainName(where.pool))
    return bad(where.pool.empty() ? "the pool is missing"
                                  : "the pool \"" + where.pool + "\" is not 1..128 of A-Z a-z 0-9 . _ -");
  if (q == std::string_view::npos) return std::optional<RadosLocation>(where);
  bool seen_conf = false, seen_id = false;
  for (auto& [key, value] : parseQuery(spec.substr(q + 1))) {
    if (key == "conf" && !seen_conf) {
      seen_conf = true;
      if (value.empty() || value.front() != '/') return bad("conf must be an absolute path, got \"" + value + "\"");
      where.conf = value;
    } else if (key == "id" && !seen_id) {
      seen_id = true;
      if (value.rfind("client.", 0) == 0) value = value.substr(7);
      if (!isPlainName(value)) return bad("id \"" + value + "\" is not 1..128 of A-Z a-z 0-9 . _ -");
      where.client_id = value;
    } else {
      return bad(key == "conf" || key == "id" ? key + " is given twice" : "unknown parameter \"" + key + "\"");
    }
  }
  return std::optional<RadosLocation>(where);
}

}  // namespace vf
