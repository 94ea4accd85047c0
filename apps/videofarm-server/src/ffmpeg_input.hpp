#pragma once
// Opening a stored movie with libavformat, as media_probe.cpp and media_analysis.cpp both do: the
// bytes come through the blob store (a custom AVIOContext over a BlobReader, so the movie may be
// a local file or RADOS objects), RAII for the contexts, and the probe-size bound that keeps
// garbage cheap.
#ifdef VF_HAVE_LIBAVFORMAT

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/log.h>
}

#include <memory>

#include "blob_store.hpp"

namespace vf {

class FormatInput {
 public:
  // The movie opened and its streams read; empty when libavformat cannot (the log stays quiet: a
  // client's garbage must not fill it). `movie` must outlive the FormatInput.
  //
  // How much of the file libavformat may read to recognise its container: its default, 1 MiB,
  // took 55-80 ms on a file it cannot recognise (random bytes); every container a browser plays
  // (MP4, QuickTime, WebM/Matroska, Ogg, MPEG-TS) is recognised from its first few KiB, and 32 KiB
  // cuts a failed probe to ~2 ms.
  static FormatInput open(BlobReader& movie);

  FormatInput(FormatInput&& other) noexcept;
  FormatInput& operator=(FormatInput&&) = delete;
  ~FormatInput();

  explicit operator bool() const { return ctx_ != nullptr; }
  AVFormatContext* get() const { return ctx_; }
  AVFormatContext* operator->() const { return ctx_; }

 private:
  struct Cursor {
    BlobReader* reader = nullptr;
    std::uint64_t position = 0;
  };
  FormatInput() = default;

  std::unique_ptr<Cursor> cursor_;  // AVIO's opaque pointer: stays put when the FormatInput moves
  AVIOContext* io_ = nullptr;
  AVFormatContext* ctx_ = nullptr;
};

}  // namespace vf

#endif
