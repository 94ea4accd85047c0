// libFuzzer target: Authorization and Cookie parsing never crash; a Bearer token that is accepted
// has no space or control character (it is looked up as is), and a cookie found was in the input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth_headers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto token = vf::parseBearer(text); token) {
    if (token->empty()) __builtin_trap();
    for (unsigned char c : *token)
      if (c <= ' ' || c >= 0x7f) __builtin_trap();
  }
  if (auto cookie = vf::findCookie(text, vf::kSessionCookie); cookie && text.find(*cookie) == std::string_view::npos)
    __builtin_trap();
  return 0;
}
