#include "engine/http_headers.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace ferry::engine {

namespace {

// RFC 9110 tchar.
bool isToken(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

bool equalsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool startsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && equalsNoCase(text.substr(0, prefix.size()), prefix);
}

std::optional<std::uint64_t> parseDecimal(std::string_view text) {
  std::uint64_t value = 0;
  if (text.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Result<void> checkRequestSyntax(const HttpRequest& request) {
  if (!isToken(request.method))
    return fail(errc::invalid_argument, "The HTTP method \"" + request.method + "\" is not valid; use e.g. GET or HEAD.");
  for (const auto& header : request.headers) {
    if (!isToken(header.name))
      return fail(errc::invalid_argument, "The header name \"" + header.name + "\" is not valid; use letters, digits and dashes.");
    if (header.value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
      return fail(errc::invalid_argument, "The value of header \"" + header.name +
                                              "\" contains a line break or NUL; headers must be single lines.");
  }
  return {};
}

std::string_view trimHeaderValue(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r' ||
                            value.back() == '\n'))
    value.remove_suffix(1);
  return value;
}

std::optional<ContentRange> parseContentRange(std::string_view value) {
  value = trimHeaderValue(value);
  if (!startsWithNoCase(value, "bytes ")) return std::nullopt;
  value.remove_prefix(6);
  value = trimHeaderValue(value);
  auto slash = value.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view range = value.substr(0, slash);
  std::string_view length = value.substr(slash + 1);

  ContentRange result;
  if (length != "*") {
    result.complete_length = parseDecimal(length);
    if (!result.complete_length) return std::nullopt;
  }
  if (range == "*") {
    // Only meaningful with a known length (a 416's "bytes */N").
    if (!result.complete_length) return std::nullopt;
    return result;
  }
  auto dash = range.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  result.first = parseDecimal(range.substr(0, dash));
  result.last = parseDecimal(range.substr(dash + 1));
  if (!result.first || !result.last || *result.last < *result.first) return std::nullopt;
  if (result.complete_length && *result.last >= *result.complete_length) return std::nullopt;
  return result;
}

std::string strongEtag(std::string_view value) {
  value = trimHeaderValue(value);
  // A strong entity-tag is a quoted string; "W/" marks a weak one.
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return {};
  return std::string(value);
}

std::string ifRangeValue(const Validators& validators) {
  if (!validators.etag.empty()) return validators.etag;
  return validators.last_modified;
}

}  // namespace ferry::engine
