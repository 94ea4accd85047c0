#include "videofarm/local_files.hpp"

#include <cerrno>
#include <system_error>

namespace videofarm {

Result<void> makeDirectory(const std::filesystem::path& dir, std::filesystem::perms mode) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!ec) std::filesystem::permissions(dir, mode, std::filesystem::perm_options::replace, ec);
  if (ec) return tl::unexpected(fileError(ec.value(), "cannot create the directory " + dir.string()));
  return {};
}

Error fileError(int err, const std::string& what) {
  const std::string text = what + ": " + std::generic_category().message(err);
  if (err == ENOSPC || err == EDQUOT) return Error(errc::no_space, text + "; free some space and try again");
  if (err == EACCES || err == EPERM) return Error(errc::permission_denied, text);
  if (err == ENOENT) return Error(errc::not_found, text);
  return Error(errc::io, text);
}

}  // namespace videofarm
