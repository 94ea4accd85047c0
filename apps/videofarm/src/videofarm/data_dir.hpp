#pragma once
// Where the client keeps its state and library: --data-dir, else $XDG_DATA_HOME/videofarm, else
// ~/.local/share/videofarm.
//
//   DATA/state.sqlite3           the state (StateStore)
//   DATA/library/ID/movie.EXT    finished downloads, one folder per video (LibraryFolder)
//   DATA/library/ID/thumbnail

#include <filesystem>
#include <string>

namespace videofarm {

std::filesystem::path defaultDataDir();

struct DataDir {
  std::filesystem::path root;
  std::filesystem::path stateFile() const { return root / "state.sqlite3"; }
  std::filesystem::path libraryDir() const { return root / "library"; }
  std::filesystem::path tokenFile() const { return root / "token.json"; }  // 0600, credentials_file.hpp
};

}  // namespace videofarm
