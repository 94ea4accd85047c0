#pragma once
// ferryctl's own value parsers, with errors that say what is accepted (CLI11's would only say
// "could not convert").

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "ferry/types.hpp"

namespace ferry::cli {

// A bandwidth rate as curl's --limit-rate writes it: a number with an optional K, M or G suffix
// (binary multiples: 5M = 5 MiB/s = 5242880 bytes/s), "0" or "none" for no limit.
Result<std::uint64_t> parseRate(const std::string& text);

// A task priority: a number from 0.0 to 1.0 (or low, default, high: 0.25, 0.5, 0.75).
Result<double> parsePriority(const std::string& text);

// A download's connections (--connections / -x, as aria2's): a whole number from 1 to
// DownloadOptions::kMaxConnections.
Result<int> parseConnections(const std::string& text);

// A download's mirrors (--mirror URL, repeatable): at most DownloadOptions::kMaxMirrors, each an
// http:// or https:// URL without blanks.
Result<std::vector<std::string>> parseMirrors(const std::vector<std::string>& urls);

// A begin date: whole seconds since the epoch (date +%s), or "+N" seconds from now.
Result<std::int64_t> parseBeginAt(const std::string& text);

}  // namespace ferry::cli
