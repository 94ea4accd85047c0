#include "common/url_file_name.hpp"

#include <cctype>

namespace ferry::urls {

std::string fileNameOf(std::string_view url, std::string_view fallback) {
  std::string_view path = url.substr(0, url.find_first_of("?#"));
  if (auto scheme = path.find("://"); scheme != std::string_view::npos) {
    auto slash = path.find('/', scheme + 3);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  }
  if (auto last = path.find_last_of('/'); last != std::string_view::npos) path = path.substr(last + 1);
  std::string safe;
  for (char c : path.substr(0, 100))
    safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  if (safe.empty() || safe == "." || safe == "..") return std::string(fallback);
  return safe;
}

}  // namespace ferry::urls
