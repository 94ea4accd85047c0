#include "byte_range.hpp"
#include "ows.hpp"

#include <charconv>
#include <optional>
#include <vector>

namespace vf {
namespace {

bool iequalsPrefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// Digits only: from_chars would accept a leading '-' and we must not.
std::optional<std::uint64_t> parseNumber(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

struct Spec {
  std::optional<std::uint64_t> first;  // absent: suffix range
  std::optional<std::uint64_t> last;   // absent: open-ended
};

std::optional<Spec> parseSpec(std::string_view s) {
  s = trimOws(s);
  auto dash = s.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view a = trimOws(s.substr(0, dash));
  std::string_view b = trimOws(s.substr(dash + 1));
  Spec spec;
  if (a.empty()) {
    auto n = parseNumber(b);
    if (!n) return std::nullopt;
    spec.last = n;  // suffix length
    return spec;
  }
  spec.first = parseNumber(a);
  if (!spec.first) return std::nullopt;
  if (!b.empty()) {
    spec.last = parseNumber(b);
    if (!spec.last || *spec.last < *spec.first) return std::nullopt;
  }
  return spec;
}

// Resolves a spec against the size; nullopt when unsatisfiable.
std::optional<RangeDecision> resolve(const Spec& spec, std::uint64_t size) {
  RangeDecision d;
  d.kind = RangeDecision::Kind::Partial;
  if (!spec.first) {
    std::uint64_t suffix = *spec.last;
    if (suffix == 0 || size == 0) return std::nullopt;
    d.first = suffix >= size ? 0 : size - suffix;
    d.last = size - 1;
    return d;
  }
  if (*spec.first >= size) return std::nullopt;
  d.first = *spec.first;
  d.last = spec.last && *spec.last < size ? *spec.last : size - 1;
  return d;
}

}  // namespace

RangeDecision evaluateRange(std::string_view header, std::uint64_t size) {
  header = trimOws(header);
  if (!iequalsPrefix(header, "bytes=")) return {};
  std::string_view set = header.substr(6);
  std::vector<Spec> specs;
  while (true) {
    auto comma = set.find(',');
    std::string_view item = trimOws(set.substr(0, comma));
    if (!item.empty()) {  // RFC 9110 allows empty list elements
      auto spec = parseSpec(item);
      if (!spec) return {RangeDecision::Kind::Unsatisfiable};
      specs.push_back(*spec);
      if (specs.size() > 1) return {};  // several ranges: the whole body
    }
    if (comma == std::string_view::npos) break;
    set.remove_prefix(comma + 1);
  }
  if (specs.empty()) return {RangeDecision::Kind::Unsatisfiable};
  auto d = resolve(specs.front(), size);
  if (!d) return {RangeDecision::Kind::Unsatisfiable};
  return *d;
}

}  // namespace vf
