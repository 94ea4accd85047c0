#pragma once
// Base64 (RFC 4648 §4, with padding) and its URL-safe form without padding (§5), on OpenSSL's
// EVP_EncodeBlock/EVP_DecodeBlock. Binary data travels in JSON (IPC, events) in this form.

#include <optional>
#include <string>
#include <string_view>

namespace ferry {

std::string base64Encode(std::string_view bytes);
// nullopt when `text` is not base64 (wrong characters or length).
std::optional<std::string> base64Decode(std::string_view text);

std::string base64UrlEncode(std::string_view bytes);
// Lowercase hex of `bytes` (digests, tokens).
std::string hexEncode(std::string_view bytes);
std::optional<std::string> base64UrlDecode(std::string_view text);

}  // namespace ferry
