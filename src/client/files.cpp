#include "ferry/files.hpp"

#include "common/files.hpp"

namespace ferry {

Result<void> moveFileDurably(const std::filesystem::path& from, const std::filesystem::path& to) {
  return files::moveDurably(from, to);
}

Result<void> writeFileDurably(const std::filesystem::path& to, std::string_view bytes, unsigned mode) {
  return files::writeDurably(to, bytes, mode);
}

}  // namespace ferry
