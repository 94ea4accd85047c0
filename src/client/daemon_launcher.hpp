#pragma once
// Finds ferryd on its socket, and starts it when nothing answers (as D-Bus activation does), so an
// application needs nothing running beforehand.

#include <filesystem>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace ferry {

// Connects to the Unix socket; daemon-unavailable when nothing listens there.
Result<UniqueFd> connectToDaemon(const std::filesystem::path& socket);

// Connects, starting ferryd first when `start` and nothing answers. ferryd is looked up as
// $FERRYD, then beside this program's executable, then on $PATH; its log goes to
// <state dir>/ferryd.log.
Result<UniqueFd> connectOrStartDaemon(const std::filesystem::path& socket, bool start);

}  // namespace ferry
