#include "account_json.hpp"

#include <nlohmann/json.hpp>

namespace vf {
namespace {

ferry::Result<nlohmann::json> parseObject(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return ferry::fail(ferry::errc::invalid_argument, "the body is not valid JSON");
  if (!j.is_object()) return ferry::fail(ferry::errc::invalid_argument, "the body must be a JSON object");
  return j;
}

ferry::Result<std::string> stringField(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string())
    return ferry::fail(ferry::errc::invalid_argument, std::string("the body needs a string field \"") + name + "\"");
  return it->get<std::string>();
}

}  // namespace

bool isValidUserName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    if (!ok) return false;
  }
  return true;
}

ferry::Result<Credentials> parseCredentials(std::string_view body, bool allow_admin_field) {
  auto j = parseObject(body);
  if (!j) return tl::unexpected(j.error());
  for (const auto& [key, value] : j->items()) {
    if (key != "name" && key != "password" && !(allow_admin_field && key == "admin"))
      return ferry::fail(ferry::errc::invalid_argument, "unexpected field \"" + key + "\" (expected name, password" +
                                                            (allow_admin_field ? ", admin)" : ")"));
  }
  auto name = stringField(*j, "name");
  if (!name) return tl::unexpected(name.error());
  auto password = stringField(*j, "password");
  if (!password) return tl::unexpected(password.error());
  if (!isValidUserName(*name))
    return ferry::fail(ferry::errc::invalid_argument, "a name is 1 to 64 letters, digits, '.', '_' or '-'");
  if (password->size() < kMinPasswordBytes || password->size() > kMaxPasswordBytes)
    return ferry::fail(ferry::errc::invalid_argument, "a password is 8 to 1024 bytes");
  Credentials c{std::move(*name), std::move(*password), false};
  if (auto it = j->find("admin"); it != j->end()) {
    if (!it->is_boolean()) return ferry::fail(ferry::errc::invalid_argument, "\"admin\" must be true or false");
    c.admin = it->get<bool>();
  }
  return c;
}

ferry::Result<std::string> parseTokenLabel(std::string_view body) {
  if (body.empty()) return std::string();
  auto j = parseObject(body);
  if (!j) return tl::unexpected(j.error());
  for (const auto& [key, value] : j->items())
    if (key != "label") return ferry::fail(ferry::errc::invalid_argument, "unexpected field \"" + key + "\" (expected label)");
  auto it = j->find("label");
  if (it == j->end()) return std::string();
  if (!it->is_string() || it->get<std::string>().size() > 200)
    return ferry::fail(ferry::errc::invalid_argument, "\"label\" must be a string of at most 200 bytes");
  return it->get<std::string>();
}

}  // namespace vf
