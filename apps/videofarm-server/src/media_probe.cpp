#include "media_probe.hpp"

#include <memory>

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

struct DictionaryFree {
  void operator()(AVDictionary* d) const { av_dict_free(&d); }
};

// How much of the file libavformat may read to recognise its container. Its default, 1 MiB, took
// 55-80 ms on a file it cannot recognise (random bytes), on the server's one I/O thread; every
// container a browser plays (MP4, QuickTime, WebM/Matroska, Ogg, MPEG-TS) is recognised from its
// first few KiB, and 32 KiB cuts a failed probe to ~2 ms.
constexpr const char* kFormatProbeBytes = "32768";
}  // namespace

std::optional<double> probeDurationSeconds(const std::filesystem::path& movie) {
  av_log_set_level(AV_LOG_QUIET);  // a client's garbage must not fill our log
  AVDictionary* options = nullptr;
  av_dict_set(&options, "formatprobesize", kFormatProbeBytes, 0);
  AVFormatContext* raw = nullptr;
  const int opened = avformat_open_input(&raw, movie.c_str(), nullptr, &options);
  std::unique_ptr<AVDictionary, DictionaryFree> unused_options(options);  // what avformat did not take
  if (opened != 0) return std::nullopt;
  std::unique_ptr<AVFormatContext, FormatCloser> ctx(raw);
  if (avformat_find_stream_info(ctx.get(), nullptr) < 0) return std::nullopt;
  if (ctx->duration == AV_NOPTS_VALUE || ctx->duration <= 0) return std::nullopt;
  return static_cast<double>(ctx->duration) / AV_TIME_BASE;
}
#else
std::optional<double> probeDurationSeconds(const std::filesystem::path&) { return std::nullopt; }
#endif

}  // namespace vf
