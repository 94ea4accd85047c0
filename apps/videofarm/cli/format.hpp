#pragma once
// Text for people: byte counts, padding, a progress bar.

#include <cstdint>
#include <optional>
#include <string>

namespace videofarm::cli {

// "512 B", "12.3 MiB" (powers of 1024).
std::string humanBytes(std::uint64_t bytes);
std::string padded(const std::string& text, std::size_t width);
// "[=========>          ]  45%  90.0 MiB / 200.0 MiB"
std::string progressBar(std::uint64_t done, std::optional<std::uint64_t> total, int width = 24);

}  // namespace videofarm::cli
