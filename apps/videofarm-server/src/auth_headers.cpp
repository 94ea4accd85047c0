#include "auth_headers.hpp"

#include <boost/beast/core/string.hpp>

#include "ows.hpp"

namespace vf {
namespace {

// RFC 6750 b64token: ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/", then "=" padding.
bool isToken68(std::string_view s) {
  if (s.empty()) return false;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_' || c == '~' || c == '+' || c == '/';
    if (!ok) break;
  }
  if (i == 0) return false;
  for (; i < s.size(); ++i)
    if (s[i] != '=') return false;
  return true;
}

}  // namespace

ferry::Result<std::string> parseBearer(std::string_view value) {
  value = trimOws(value);
  auto space = value.find(' ');
  if (space == std::string_view::npos || !boost::beast::iequals(value.substr(0, space), "Bearer"))
    return ferry::fail(ferry::errc::invalid_argument,
                       "the Authorization header must be \"Bearer TOKEN\" (get a token from POST /sessions)");
  auto token = trimOws(value.substr(space + 1));
  if (!isToken68(token)) return ferry::fail(ferry::errc::invalid_argument, "the bearer token is malformed");
  return std::string(token);
}

std::optional<std::string> findCookie(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    auto pair = trimOws(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || trimOws(pair.substr(0, eq)) != name) continue;
    auto value = trimOws(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    return std::string(value);
  }
  return std::nullopt;
}

std::string sessionCookie(const std::string& token) {
  // HttpOnly: page scripts never see it. SameSite=Strict: other sites' pages never send it.
  std::string c = std::string(kSessionCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict";
  c += token.empty() ? "; Max-Age=0" : "; Max-Age=2592000";
  return c;
}

}  // namespace vf
