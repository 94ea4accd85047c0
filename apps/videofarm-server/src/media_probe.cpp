#include "media_probe.hpp"

#include "ffmpeg_input.hpp"

namespace vf {

#ifdef VF_HAVE_LIBAVFORMAT
std::optional<double> probeDurationSeconds(BlobReader& movie) {
  auto ctx = FormatInput::open(movie);
  if (!ctx || ctx->duration == AV_NOPTS_VALUE || ctx->duration <= 0) return std::nullopt;
  return static_cast<double>(ctx->duration) / AV_TIME_BASE;
}
#else
std::optional<double> probeDurationSeconds(BlobReader&) { return std::nullopt; }
#endif

}  // namespace vf
