#pragma once
// The JSON bodies of the account endpoints, checked field by field. Pure (fuzzed).

#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace vf {

inline constexpr std::size_t kMaxAccountBodyBytes = 8192;

struct Credentials {
  std::string name;
  std::string password;
  bool admin = false;  // POST /users by an administrator only
};

// {"name": ..., "password": ...} (and for POST /users optionally "admin": bool).
ferry::Result<Credentials> parseCredentials(std::string_view body, bool allow_admin_field);
// POST /tokens: {} or {"label": ...}; an empty body counts as {}.
ferry::Result<std::string> parseTokenLabel(std::string_view body);

// 1..64 of A-Z a-z 0-9 . _ -
bool isValidUserName(std::string_view name);
inline constexpr std::size_t kMinPasswordBytes = 8;
inline constexpr std::size_t kMaxPasswordBytes = 1024;

}  // namespace vf
