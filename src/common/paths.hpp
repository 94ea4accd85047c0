#pragma once
// Where ferryd's socket and state live, resolved the same way by the daemon, libferry and ferryctl:
// an explicit path first, then FERRY_SOCKET / FERRY_STATE_DIR, then the XDG defaults.

#include <filesystem>
#include <optional>
#include <string>

namespace ferry::paths {

// $FERRY_SOCKET, else $XDG_RUNTIME_DIR/ferry/ferryd.sock, else /tmp/ferry-<uid>/ferryd.sock.
std::filesystem::path defaultSocket();

// $FERRY_STATE_DIR, else $XDG_STATE_HOME/ferry, else ~/.local/state/ferry.
std::filesystem::path defaultStateDir();

// Directory that holds this process's executable (from /proc/self/exe).
std::filesystem::path executableDirectory();

}  // namespace ferry::paths
