#include "videofarm/credentials_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "common/files.hpp"
#include "common/unique_fd.hpp"

namespace videofarm {

Result<void> saveToken(const DataDir& dir, const std::string& server, const std::string& token) {
  if (auto made = ferry::files::makePrivateDirectory(dir.root, 0700); !made) return tl::unexpected(made.error());
  const auto tmp = dir.tokenFile().string() + ".tmp";
  ::unlink(tmp.c_str());
  // O_EXCL + 0600: the secret is never readable by others, not even for a moment.
  ferry::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) return tl::unexpected(ferry::files::errnoError(errno, "create " + tmp));
  std::string text = nlohmann::json{{"server", server}, {"token", token}}.dump() + "\n";
  if (auto w = ferry::files::writeAll(fd.get(), text, 0, tmp); !w) return tl::unexpected(w.error());
  if (::fsync(fd.get()) != 0) return tl::unexpected(ferry::files::errnoError(errno, "fsync " + tmp));
  return ferry::files::renameDurably(tmp, dir.tokenFile());
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
    return tl::unexpected(ferry::files::errnoError(errno, "remove " + dir.tokenFile().string()));
  return {};
}

}  // namespace videofarm
