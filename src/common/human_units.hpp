#pragma once
// Sizes, rates and durations as people read them, for every command line (ferryctl, videofarm).
// Binary units throughout ("1.5 MiB"), so a figure here matches `ls -lh` and the bandwidth limits.

#include <cstdint>
#include <optional>
#include <string>

namespace ferry::units {

// "512 B", "12.3 MiB", "2.0 GiB".
std::string humanBytes(std::uint64_t bytes);
// A rate in bytes per second: "12.3 MiB/s" (non-finite or negative: "0 B/s").
std::string humanRate(double bytes_per_second);
// "1:05" (m:ss) or "2:03:04" (h:mm:ss); "--:--" for an unknown (non-finite or negative) duration.
std::string humanDuration(double seconds);
// A progress bar and its percentage: "[=========>          ]  45%"; with no (or a zero) total,
// "[????????????????????]   ?%". The one renderer of ferryctl's and videofarm's bars.
std::string progressBar(std::uint64_t done, std::optional<std::uint64_t> total, int width);

}  // namespace ferry::units
