#include "structured_fields.hpp"
#include "ows.hpp"

namespace vf {

std::optional<bool> parseSfBoolean(std::string_view value) {
  value = trimOws(value);
  if (value == "?1") return true;
  if (value == "?0") return false;
  return std::nullopt;
}

std::optional<std::uint64_t> parseSfNonNegativeInteger(std::string_view value) {
  value = trimOws(value);
  if (value.empty() || value.size() > 15) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

}  // namespace vf
