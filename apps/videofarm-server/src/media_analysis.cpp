#include "media_analysis.hpp"

#ifdef VF_HAVE_LIBAVCODEC
extern "C" {
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
}

#include "ffmpeg_input.hpp"
#endif

#include <memory>

namespace vf {

#ifdef VF_HAVE_LIBAVCODEC
namespace {

struct CodecFree {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameFree {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketFree {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct ScalerFree {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};
using Codec = std::unique_ptr<AVCodecContext, CodecFree>;
using Frame = std::unique_ptr<AVFrame, FrameFree>;
using Packet = std::unique_ptr<AVPacket, PacketFree>;

// Bounds on what a client's file can make us do.
constexpr int kMaxFrameSide = 16384;
constexpr int kMaxPacketsRead = 3000;  // looking for the frame ~10% in

void readFacts(AVFormatContext* input, MediaFacts& facts) {
  int v = av_find_best_stream(input, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  int a = av_find_best_stream(input, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (v >= 0) {
    const AVCodecParameters* p = input->streams[v]->codecpar;
    facts.video_codec = avcodec_get_name(p->codec_id);
    if (p->width > 0 && p->height > 0) {
      facts.width = p->width;
      facts.height = p->height;
    }
  }
  if (a >= 0) facts.audio_codec = avcodec_get_name(input->streams[a]->codecpar->codec_id);
}

Codec openDecoder(AVFormatContext* input, int stream, std::string& why) {
  const AVCodecParameters* p = input->streams[stream]->codecpar;
  const AVCodec* decoder = avcodec_find_decoder(p->codec_id);
  if (!decoder) {
    why = std::string("no decoder for ") + avcodec_get_name(p->codec_id);
    return nullptr;
  }
  Codec ctx(avcodec_alloc_context3(decoder));
  if (!ctx || avcodec_parameters_to_context(ctx.get(), p) < 0) {
    why = "cannot set up the decoder";
    return nullptr;
  }
  ctx->thread_count = 1;  // already off the I/O thread; one core for the others
  if (avcodec_open2(ctx.get(), decoder, nullptr) < 0) {
    why = "cannot open the decoder";
    return nullptr;
  }
  return ctx;
}

// The first frame at or after `target` (stream time base), or the last one decoded before the end.
Frame decodeFrameAt(AVFormatContext* input, AVCodecContext* decoder, int stream, std::int64_t target) {
  Packet packet(av_packet_alloc());
  Frame frame(av_frame_alloc());
  Frame kept;
  auto take = [&]() -> bool {  // drains the decoder; true once a frame at the target is held
    while (avcodec_receive_frame(decoder, frame.get()) == 0) {
      kept.reset(av_frame_clone(frame.get()));
      av_frame_unref(frame.get());
      if (kept && (kept->best_effort_timestamp == AV_NOPTS_VALUE || kept->best_effort_timestamp >= target)) return true;
    }
    return false;
  };
  for (int n = 0; n < kMaxPacketsRead && av_read_frame(input, packet.get()) >= 0; ++n) {
    bool ours = packet->stream_index == stream;
    if (ours) avcodec_send_packet(decoder, packet.get());
    av_packet_unref(packet.get());
    if (ours && take()) return kept;
  }
  avcodec_send_packet(decoder, nullptr);  // end of stream: what the decoder still holds
  take();
  return kept;
}

Frame scaleToRgb(const AVFrame* in, int max_width, std::string& why) {
  int w = std::min(in->width, max_width);
  int h = std::max(1, static_cast<int>(static_cast<std::int64_t>(in->height) * w / in->width));
  std::unique_ptr<SwsContext, ScalerFree> scaler(sws_getContext(in->width, in->height,
                                                                 static_cast<AVPixelFormat>(in->format), w, h,
                                                                 AV_PIX_FMT_RGB24, SWS_BILINEAR, nullptr, nullptr, nullptr));
  Frame out(av_frame_alloc());
  if (!scaler || !out) {
    why = "cannot scale the frame";
    return nullptr;
  }
  out->format = AV_PIX_FMT_RGB24;
  out->width = w;
  out->height = h;
  if (av_frame_get_buffer(out.get(), 0) < 0 ||
      sws_scale(scaler.get(), in->data, in->linesize, 0, in->height, out->data, out->linesize) != h) {
    why = "cannot scale the frame";
    return nullptr;
  }
  return out;
}

std::optional<std::string> encodePng(const AVFrame* rgb, std::string& why) {
  const AVCodec* png = avcodec_find_encoder(AV_CODEC_ID_PNG);
  Codec enc(png ? avcodec_alloc_context3(png) : nullptr);
  if (!enc) {
    why = "no PNG encoder";
    return std::nullopt;
  }
  enc->width = rgb->width;
  enc->height = rgb->height;
  enc->pix_fmt = AV_PIX_FMT_RGB24;
  enc->time_base = AVRational{1, 25};
  Packet packet(av_packet_alloc());
  if (avcodec_open2(enc.get(), png, nullptr) < 0 || avcodec_send_frame(enc.get(), rgb) < 0 ||
      avcodec_receive_packet(enc.get(), packet.get()) < 0) {
    why = "cannot encode the PNG";
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(packet->data), static_cast<std::size_t>(packet->size));
}

std::optional<std::string> thumbnailOf(AVFormatContext* input, int max_width, std::string& why) {
  int stream = av_find_best_stream(input, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (stream < 0) {
    why = "no video stream";
    return std::nullopt;
  }
  const AVCodecParameters* p = input->streams[stream]->codecpar;
  if (p->width <= 0 || p->height <= 0 || p->width > kMaxFrameSide || p->height > kMaxFrameSide) {
    why = "frame size " + std::to_string(p->width) + "x" + std::to_string(p->height) + " out of bounds";
    return std::nullopt;
  }
  Codec decoder = openDecoder(input, stream, why);
  if (!decoder) return std::nullopt;
  // ~10% in: past a fade from black, still early enough to be found quickly.
  AVStream* st = input->streams[stream];
  std::int64_t target = 0;
  if (input->duration > 0) {
    target = av_rescale_q(input->duration / 10, AVRational{1, AV_TIME_BASE}, st->time_base);
    if (st->start_time != AV_NOPTS_VALUE) target += st->start_time;
    if (av_seek_frame(input, stream, target, AVSEEK_FLAG_BACKWARD) < 0) av_seek_frame(input, stream, 0, AVSEEK_FLAG_BACKWARD);
  }
  Frame frame = decodeFrameAt(input, decoder.get(), stream, target);
  if (!frame || frame->width <= 0 || frame->height <= 0 || frame->width > kMaxFrameSide ||
      frame->height > kMaxFrameSide) {
    why = "no frame could be decoded";
    return std::nullopt;
  }
  Frame rgb = scaleToRgb(frame.get(), max_width, why);
  if (!rgb) return std::nullopt;
  return encodePng(rgb.get(), why);
}

}  // namespace

MediaAnalysis analyzeMovie(BlobReader& movie, int max_width) {
  MediaAnalysis result;
  FormatInput input = FormatInput::open(movie);
  if (!input) {
    result.failure = "not a movie ffmpeg can read";
    return result;
  }
  readFacts(input.get(), result.facts);
  result.thumbnail_png = thumbnailOf(input.get(), max_width, result.failure);
  return result;
}
#else
MediaAnalysis analyzeMovie(BlobReader&, int) {
  MediaAnalysis result;
  result.failure = "this build has no libavcodec/libswscale";
  return result;
}
#endif

}  // namespace vf
