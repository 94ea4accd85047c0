#pragma once
// Opening a stored movie with libavformat, as media_probe.cpp and media_analysis.cpp both do:
// RAII for the context, and the probe-size bound that keeps garbage cheap.
#ifdef VF_HAVE_LIBAVFORMAT

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/log.h>
}

#include <filesystem>
#include <memory>

namespace vf {

struct FormatInputCloser {
  void operator()(AVFormatContext* ctx) const { avformat_close_input(&ctx); }
};
using FormatInput = std::unique_ptr<AVFormatContext, FormatInputCloser>;

// The movie opened and its streams read; null when libavformat cannot (the log stays quiet: a
// client's garbage must not fill it).
//
// How much of the file libavformat may read to recognise its container: its default, 1 MiB, took
// 55-80 ms on a file it cannot recognise (random bytes); every container a browser plays (MP4,
// QuickTime, WebM/Matroska, Ogg, MPEG-TS) is recognised from its first few KiB, and 32 KiB cuts a
// failed probe to ~2 ms.
inline FormatInput openFormatInput(const std::filesystem::path& movie) {
  av_log_set_level(AV_LOG_QUIET);
  AVDictionary* options = nullptr;
  av_dict_set(&options, "formatprobesize", "32768", 0);
  AVFormatContext* raw = nullptr;
  const int opened = avformat_open_input(&raw, movie.c_str(), nullptr, &options);
  av_dict_free(&options);  // what avformat did not take
  if (opened != 0) return nullptr;
  FormatInput ctx(raw);
  if (avformat_find_stream_info(ctx.get(), nullptr) < 0) return nullptr;
  return ctx;
}

}  // namespace vf

#endif
