#include "structured_fields.hpp"

namespace vf {
namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

std::optional<bool> parseSfBoolean(std::string_view value) {
  value = trim(value);
  if (value == "?1") return true;
  if (value == "?0") return false;
  return std::nullopt;
}

std::optional<std::uint64_t> parseSfNonNegativeInteger(std::string_view value) {
  value = trim(value);
  if (value.empty() || value.size() > 15) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

}  // namespace vf
