#include "media_probe.hpp"

#ifdef VF_HAVE_LIBAVFORMAT
extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/log.h>
}
#endif

namespace vf {

#ifdef VF_HAVE_LIBAVFORMAT
namespace {
struct FormatCloser {
  void operator()(AVFormatContext* ctx) const { avformat_close_input(&ctx); }
};
}  // namespace

std::optional<double> probeDurationSeconds(const std::filesystem::path& movie) {
  av_log_set_level(AV_LOG_QUIET);  // a client's garbage must not fill our log
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, movie.c_str(), nullptr, nullptr) != 0) return std::nullopt;
  std::unique_ptr<AVFormatContext, FormatCloser> ctx(raw);
  if (avformat_find_stream_info(ctx.get(), nullptr) < 0) return std::nullopt;
  if (ctx->duration == AV_NOPTS_VALUE || ctx->duration <= 0) return std::nullopt;
  return static_cast<double>(ctx->duration) / AV_TIME_BASE;
}
#else
std::optional<double> probeDurationSeconds(const std::filesystem::path&) { return std::nullopt; }
#endif

}  // namespace vf
