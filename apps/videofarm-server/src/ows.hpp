#pragma once
// Optional whitespace (RFC 9110 §5.6.3: SP and HTAB) around header values and list items.
// Header-only so that the parsers the fuzzers build alone need no other file.

#include <string_view>

namespace vf {

inline std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace vf
