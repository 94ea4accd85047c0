#include "arguments.hpp"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <regex>

namespace ferry::cli {

Result<std::uint64_t> parseRate(const std::string& text) {
  if (text == "none" || text == "0") return std::uint64_t{0};
  static const std::regex shape(R"(([0-9]+(\.[0-9]+)?)([kKmMgG]?))");
  std::smatch m;
  if (!std::regex_match(text, m, shape)) {
    const bool negative = !text.empty() && text[0] == '-';
    return fail(errc::invalid_argument, "\"" + text + "\" is not a rate" + (negative ? " (it cannot be negative)" : "") +
                                            "; write bytes per second with an optional K, M or G suffix (as curl's "
                                            "--limit-rate: 500K, 5M, 1.5G), or 0 / none for no limit");
  }
  double value = std::strtod(m[1].str().c_str(), nullptr);
  switch (m[3].str().empty() ? ' ' : m[3].str()[0]) {
    case 'k': case 'K': value *= 1024; break;
    case 'm': case 'M': value *= 1024.0 * 1024; break;
    case 'g': case 'G': value *= 1024.0 * 1024 * 1024; break;
    default: break;
  }
  if (value > 1e18) return fail(errc::invalid_argument, "\"" + text + "\" is too large for a rate");
  return static_cast<std::uint64_t>(std::llround(value));
}

Result<double> parsePriority(const std::string& text) {
  if (text == "low") return 0.25;
  if (text == "default") return 0.5;
  if (text == "high") return 0.75;
  static const std::regex shape(R"([0-9]+(\.[0-9]+)?|\.[0-9]+)");
  const double value = std::regex_match(text, shape) ? std::strtod(text.c_str(), nullptr) : -1;
  if (value < 0 || value > 1)
    return fail(errc::invalid_argument, "priority \"" + text + "\" must be a number from 0.0 (lowest) to 1.0 (highest), "
                                        "or low, default, high");
  return value;
}

Result<int> parseConnections(const std::string& text) {
  static const std::regex shape(R"([0-9]{1,3})");
  const int value = std::regex_match(text, shape) ? std::stoi(text) : 0;
  if (value < 1 || value > DownloadOptions::kMaxConnections)
    return fail(errc::invalid_argument, "--connections \"" + text + "\" must be a whole number from 1 to " +
                                            std::to_string(DownloadOptions::kMaxConnections) +
                                            " (connections one download may use at once, as aria2c -x)");
  return value;
}

Result<std::vector<std::string>> parseMirrors(const std::vector<std::string>& urls) {
  static const std::regex shape(R"(https?://[^\s]+)", std::regex::icase);
  if (urls.size() > DownloadOptions::kMaxMirrors)
    return fail(errc::invalid_argument, "--mirror is given " + std::to_string(urls.size()) + " times; a download has at most " +
                                            std::to_string(DownloadOptions::kMaxMirrors) + " mirrors");
  for (const auto& url : urls)
    if (!std::regex_match(url, shape))
      return fail(errc::invalid_argument, "--mirror \"" + url.substr(0, 200) +
                                              "\" must be an http:// or https:// URL of the same file (aria2's extra URIs)");
  return urls;
}

Result<std::int64_t> parseBeginAt(const std::string& text) {
  static const std::regex shape(R"((\+?)([0-9]{1,12}))");
  std::smatch m;
  if (!std::regex_match(text, m, shape))
    return fail(errc::invalid_argument, "begin date \"" + text + "\" must be whole seconds since the epoch (as date +%s "
                                        "prints, e.g. $(date -d 'tomorrow 02:00' +%s)) or +SECONDS from now");
  std::int64_t value = std::stoll(m[2].str());
  if (!m[1].str().empty())
    value += std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return value;
}

}  // namespace ferry::cli
