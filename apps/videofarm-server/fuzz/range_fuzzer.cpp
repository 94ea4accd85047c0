// libFuzzer target: Range evaluation never crashes and a partial answer is always inside the file.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "byte_range.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  std::uint64_t file_size = 0;
  std::memcpy(&file_size, data, 8);
  file_size %= 1ull << 40;
  std::string_view header(reinterpret_cast<const char*>(data + 8), size - 8);
  auto d = vf::evaluateRange(header, file_size);
  if (d.kind == vf::RangeDecision::Kind::Partial) {
    if (d.first > d.last || d.last >= file_size) __builtin_trap();
  }
  return 0;
}
