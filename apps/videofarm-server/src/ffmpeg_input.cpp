#include "ffmpeg_input.hpp"

#ifdef VF_HAVE_LIBAVFORMAT

#include <cerrno>

namespace vf {
namespace {

// What libavformat asks for per read: a RADOS round trip each, so not too small.
constexpr int kIoBufferBytes = 64 * 1024;

}  // namespace

FormatInput FormatInput::open(BlobReader& movie) {
  av_log_set_level(AV_LOG_QUIET);
  FormatInput input;
  input.cursor_ = std::make_unique<Cursor>(Cursor{&movie, 0});
  auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBufferBytes));
  if (!buffer) return input;
  auto read = [](void* opaque, std::uint8_t* out, int size) -> int {
    auto* c = static_cast<Cursor*>(opaque);
    auto got = c->reader->read(c->position, reinterpret_cast<char*>(out), static_cast<std::size_t>(size));
    if (!got) return AVERROR(EIO);
    if (*got == 0) return AVERROR_EOF;
    c->position += *got;
    return static_cast<int>(*got);
  };
  auto seek = [](void* opaque, std::int64_t offset, int whence) -> std::int64_t {
    auto* c = static_cast<Cursor*>(opaque);
    const auto size = static_cast<std::int64_t>(c->reader->info().size);
    std::int64_t target;
    switch (whence & ~AVSEEK_FORCE) {
      case AVSEEK_SIZE: return size;
      case SEEK_SET: target = offset; break;
      case SEEK_CUR: target = static_cast<std::int64_t>(c->position) + offset; break;
      case SEEK_END: target = size + offset; break;
      default: return AVERROR(EINVAL);
    }
    if (target < 0) return AVERROR(EINVAL);
    c->position = static_cast<std::uint64_t>(target);
    return target;
  };
  input.io_ = avio_alloc_context(buffer, kIoBufferBytes, 0, input.cursor_.get(), read, nullptr, seek);
  if (!input.io_) {
    av_free(buffer);
    return input;
  }
  AVFormatContext* raw = avformat_alloc_context();
  if (!raw) return input;
  raw->pb = input.io_;
  raw->flags |= AVFMT_FLAG_CUSTOM_IO;
  AVDictionary* options = nullptr;
  av_dict_set(&options, "formatprobesize", "32768", 0);
  const int opened = avformat_open_input(&raw, nullptr, nullptr, &options);  // frees raw on failure
  av_dict_free(&options);  // what avformat did not take
  if (opened != 0) return input;
  input.ctx_ = raw;
  if (avformat_find_stream_info(input.ctx_, nullptr) < 0) {
    avformat_close_input(&input.ctx_);
    input.ctx_ = nullptr;
  }
  return input;
}

FormatInput::FormatInput(FormatInput&& other) noexcept
    : cursor_(std::move(other.cursor_)), io_(other.io_), ctx_(other.ctx_) {
  other.io_ = nullptr;
  other.ctx_ = nullptr;
}

FormatInput::~FormatInput() {
  if (ctx_) avformat_close_input(&ctx_);  // leaves the custom AVIOContext to us
  if (io_) {
    av_freep(&io_->buffer);
    avio_context_free(&io_);
  }
}

}  // namespace vf

#endif
