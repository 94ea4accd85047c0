#pragma once
// The token `videofarm login` got, kept in the data directory (token.json, mode 0600) with the
// server it is for: a token is only ever sent to the server that issued it, so a later
// `--server` elsewhere goes anonymous rather than handing our token to someone else.

#include <optional>
#include <string>

#include "videofarm/data_dir.hpp"
#include "videofarm/errors.hpp"

namespace videofarm {

// Replaces the stored token (written to a 0600 temporary, synced, renamed into place).
Result<void> saveToken(const DataDir& dir, const std::string& server, const std::string& token);
// The token stored for `server`, if any (a file for another server, or unreadable, is none).
std::optional<std::string> loadToken(const DataDir& dir, const std::string& server);
Result<void> forgetToken(const DataDir& dir);

}  // namespace videofarm
