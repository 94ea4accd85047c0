#pragma once
// Text for people: byte counts, padding, a progress bar.

#include <cstdint>
#include <optional>
#include <string>

#include "common/human_units.hpp"

namespace videofarm::cli {

using ferry::units::humanBytes;  // "12.3 MiB"
std::string padded(const std::string& text, std::size_t width);
// "[=========>          ]  45%  90.0 MiB / 200.0 MiB"
std::string progressBar(std::uint64_t done, std::optional<std::uint64_t> total, int width = 24);

}  // namespace videofarm::cli
