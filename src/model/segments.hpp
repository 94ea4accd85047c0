#pragma once
// The byte ranges of a segmented download (HttpRequest::connections > 1): the entity's bytes
// [0, total) cut into segments, each fetched by its own ranged request and filled from its
// `begin` up to `next`. What the engine reports (Progress, Finished), what ferryd makes durable
// (the store's `segments` column, resume tokens) and what a new job continues from.
//
// As text (the store, resume tokens): "begin:next:end" per segment, comma-separated, in order of
// `begin`; "" for a download that is not segmented.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::model {

struct Segment {
  std::uint64_t begin = 0;
  std::uint64_t next = 0;  // bytes [begin, next) are in the file
  std::uint64_t end = 0;   // exclusive
  std::uint64_t remaining() const { return end - next; }
  bool done() const { return next >= end; }
  bool operator==(const Segment&) const = default;
};

using Segments = std::vector<Segment>;

// Bytes in the file, summed over the segments.
inline std::uint64_t bytesFilled(const Segments& segments) {
  std::uint64_t sum = 0;
  for (const auto& s : segments) sum += s.next - s.begin;
  return sum;
}

inline bool allDone(const Segments& segments) {
  return std::all_of(segments.begin(), segments.end(), [](const Segment& s) { return s.done(); });
}

inline std::string segmentsToText(Segments segments) {
  std::sort(segments.begin(), segments.end(), [](const Segment& a, const Segment& b) { return a.begin < b.begin; });
  std::string text;
  for (const auto& s : segments) {
    if (!text.empty()) text += ',';
    text += std::to_string(s.begin) + ':' + std::to_string(s.next) + ':' + std::to_string(s.end);
  }
  return text;
}

// Nothing (a damaged text) unless the segments are in order, each begin <= next <= end, they
// touch end to end from 0, and (given) the last ends at `total`.
inline std::optional<Segments> segmentsFromText(std::string_view text, std::optional<std::uint64_t> total = {}) {
  Segments out;
  if (text.empty()) return out;
  auto number = [&](std::uint64_t& value) {
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr == text.data()) return false;
    text.remove_prefix(static_cast<std::size_t>(ptr - text.data()));
    return true;
  };
  auto separator = [&](char c) {
    if (text.empty() || text.front() != c) return false;
    text.remove_prefix(1);
    return true;
  };
  for (;;) {
    Segment s;
    if (!number(s.begin) || !separator(':') || !number(s.next) || !separator(':') || !number(s.end)) return {};
    const std::uint64_t expected_begin = out.empty() ? 0 : out.back().end;
    if (s.begin != expected_begin || s.next < s.begin || s.next > s.end || s.begin >= s.end) return {};
    out.push_back(s);
    if (out.size() > 4096) return {};
    if (text.empty()) break;
    if (!separator(',')) return {};
  }
  if (total && out.back().end != *total) return {};
  return out;
}

}  // namespace ferry::model
