#pragma once
// How an upload treats redirects and which resumable-upload protocol it speaks, and their names
// ("follow", "ietf", ...), the same on the wire (create_upload) and in the store (row_codec.hpp).

#include <array>
#include <optional>
#include <string_view>
#include <utility>

namespace ferry::model {

// How 3xx answers are treated. Uploads follow redirects themselves (not curl), per RFC 9110
// §15.4: 303 turns any method but HEAD into a GET without body; 301/302 turn POST into GET
// without body (what browsers and curl do) and keep any other method and its body; 307/308 keep
// method and body. Authorization and Cookie headers are dropped when the origin changes. At most
// 10 redirects.
enum class RedirectPolicy {
  follow,  // default
  refuse,  // the 3xx is the final answer: delivered with its status, headers and body, no error
  ask,     // the owner is asked (willPerformHTTPRedirection) and the job waits for its decision
};

enum class ResumableMode {
  none,  // a failed attempt starts again from byte 0 (didRestartUpload says so)
  ietf,  // IETF "Resumable Uploads for HTTP" (interop version 8 by default, 6 selectable)
  tus,   // tus 1.0.0 core + creation: POST request.url, then PATCH the upload URL
};

namespace detail {
template <class Enum, std::size_t N>
using NameTable = std::array<std::pair<Enum, std::string_view>, N>;

inline constexpr NameTable<ResumableMode, 3> kResumableModeNames{{
    {ResumableMode::none, "none"},
    {ResumableMode::ietf, "ietf"},
    {ResumableMode::tus, "tus"},
}};
inline constexpr NameTable<RedirectPolicy, 3> kRedirectPolicyNames{{
    {RedirectPolicy::follow, "follow"},
    {RedirectPolicy::refuse, "refuse"},
    {RedirectPolicy::ask, "ask"},
}};

template <class Enum, std::size_t N>
constexpr std::string_view nameIn(const NameTable<Enum, N>& table, Enum value) {
  for (const auto& [v, name] : table)
    if (v == value) return name;
  return table[0].second;
}

template <class Enum, std::size_t N>
constexpr std::optional<Enum> valueIn(const NameTable<Enum, N>& table, std::string_view name) {
  for (const auto& [v, n] : table)
    if (n == name) return v;
  return std::nullopt;
}
}  // namespace detail

constexpr std::string_view resumableModeName(ResumableMode mode) { return detail::nameIn(detail::kResumableModeNames, mode); }
constexpr std::optional<ResumableMode> resumableModeFromName(std::string_view name) {
  return detail::valueIn(detail::kResumableModeNames, name);
}
constexpr std::string_view redirectPolicyName(RedirectPolicy policy) {
  return detail::nameIn(detail::kRedirectPolicyNames, policy);
}
constexpr std::optional<RedirectPolicy> redirectPolicyFromName(std::string_view name) {
  return detail::valueIn(detail::kRedirectPolicyNames, name);
}

}  // namespace ferry::model
