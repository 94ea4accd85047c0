#include "media_probe.hpp"

#include "ffmpeg_input.hpp"

namespace vf {

#ifdef VF_HAVE_LIBAVFORMAT
std::optional<double> probeDurationSeconds(const std::filesystem::path& movie) {
  auto ctx = openFormatInput(movie);
  if (!ctx || ctx->duration == AV_NOPTS_VALUE || ctx->duration <= 0) return std::nullopt;
  return static_cast<double>(ctx->duration) / AV_TIME_BASE;
}
#else
std::optional<double> probeDurationSeconds(const std::filesystem::path&) { return std::nullopt; }
#endif

}  // namespace vf
