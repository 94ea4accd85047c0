#include "videofarm/credentials_file.hpp"

#include <unistd.h>

#include <ferry/files.hpp>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "videofarm/local_files.hpp"

namespace videofarm {

Result<void> saveToken(const DataDir& dir, const std::string& server, const std::string& token) {
  if (auto made = makeDirectory(dir.root, std::filesystem::perms::owner_all); !made) return tl::unexpected(made.error());
  // 0600 from its creation: the secret is never readable by others, not even for a moment.
  const std::string text = nlohmann::json{{"server", server}, {"token", token}}.dump() + "\n";
  return ferry::writeFileDurably(dir.tokenFile(), text, 0600);
}

std::optional<std::string> loadToken(const DataDir& dir, const std::string& server) {
  std::ifstream in(dir.tokenFile());
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (!j.is_object() || !j.contains("server") || !j.contains("token") || !j["server"].is_string() ||
      !j["token"].is_string() || j["server"].get<std::string>() != server)
    return std::nullopt;
  return j["token"].get<std::string>();
}

Result<void> forgetToken(const DataDir& dir) {
  if (::unlink(dir.tokenFile().c_str()) != 0 && errno != ENOENT)
    return tl::unexpected(fileError(errno, "remove " + dir.tokenFile().string()));
  return {};
}

}  // namespace videofarm
