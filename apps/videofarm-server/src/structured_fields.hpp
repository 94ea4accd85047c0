#pragma once
// The few RFC 8941 structured-field items the resumable upload draft uses.

#include <cstdint>
#include <optional>
#include <string_view>

namespace vf {

// "?1" / "?0".
std::optional<bool> parseSfBoolean(std::string_view value);
// A non-negative sf-integer (at most 15 digits).
std::optional<std::uint64_t> parseSfNonNegativeInteger(std::string_view value);

}  // namespace vf
