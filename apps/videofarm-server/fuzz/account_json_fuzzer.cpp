// libFuzzer target: the account endpoints' JSON bodies (POST /users, POST /sessions, POST /tokens)
// never crash, and whatever they accept satisfies the rules the handlers rely on.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "account_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  for (bool admin_field : {false, true}) {
    auto c = vf::parseCredentials(body, admin_field);
    if (!c) continue;
    if (!vf::isValidUserName(c->name)) __builtin_trap();
    if (c->password.size() < vf::kMinPasswordBytes || c->password.size() > vf::kMaxPasswordBytes) __builtin_trap();
    if (c->admin && !admin_field) __builtin_trap();
  }
  if (auto label = vf::parseTokenLabel(body); label && label->size() > 200) __builtin_trap();
  return 0;
}
