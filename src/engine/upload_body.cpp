// The body of one upload request: read from the file (checked at every read to still be the
// job's bytes) or from the stream (paused while it has nothing), and rewound when curl must
// send it again.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>

#include "common/files.hpp"
#include "engine/upload_attempt.hpp"

namespace ferry::engine {

size_t UploadAttempt::onRead(char* buffer, size_t size, size_t count, void* self) {
  auto* attempt = static_cast<UploadAttempt*>(self);
  try {  // no exception may cross curl's C frames
    return attempt->readBody(buffer, size * count);
  } catch (const std::exception& e) {
    attempt->read_error_ = Error(errc::internal, std::string("Internal error while reading the upload: ") + e.what());
  } catch (...) {
    attempt->read_error_ = Error(errc::internal, "Internal error while reading the upload.");
  }
  return CURL_READFUNC_ABORT;
}

size_t UploadAttempt::readBody(char* buffer, size_t size) {
  if (!with_body_) return 0;
  size_t n = up_.is_stream() ? readStream(buffer, size) : readFile(buffer, size);
  if (n == CURL_READFUNC_ABORT || n == CURL_READFUNC_PAUSE || n == 0) return n;
  body_read_ += n;
  up_.total_sent = body_start_ + body_read_;
  job_.noteWritten(n, options_.progress_interval, sink_);
  return n;
}

size_t UploadAttempt::readFile(char* buffer, size_t size) {
  const auto& path = up_.file()->path;
  // Every read checks that the bytes still are the job's: a file rewritten in place keeps its
  // inode but not its mtime/size; a file replaced by rename or removed leaves us an unlinked inode.
  struct stat open_st{};
  struct stat path_st{};
  if (::fstat(source_.get(), &open_st) != 0 || open_st.st_nlink == 0 || ::stat(path.c_str(), &path_st) != 0 ||
      path_st.st_dev != open_st.st_dev || path_st.st_ino != open_st.st_ino) {
    read_error_ = sourceVanished(path);
    return CURL_READFUNC_ABORT;
  }
  if (files::fileIdentityOf(open_st) != up_.identity) {
    read_error_ = sourceChanged(path);
    return CURL_READFUNC_ABORT;
  }
  const std::uint64_t position = body_start_ + body_read_;
  const std::uint64_t left = up_.identity.size - std::min(up_.identity.size, position);
  const size_t want = static_cast<size_t>(std::min<std::uint64_t>(size, left));
  if (want == 0) return 0;
  while (true) {
    ssize_t n = ::pread(source_.get(), buffer, want, static_cast<off_t>(position));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      read_error_ = files::errnoError(errno, "read " + path.string());
      return CURL_READFUNC_ABORT;
    }
    if (n == 0) {  // shorter than its size said a moment ago
      read_error_ = sourceChanged(path);
      return CURL_READFUNC_ABORT;
    }
    return static_cast<size_t>(n);
  }
}

size_t UploadAttempt::readStream(char* buffer, size_t size) {
  StreamBody& stream = *up_.stream();
  size_t want = size;
  if (stream.length) {
    const std::uint64_t left = *stream.length - std::min(*stream.length, up_.stream_bytes_taken);
    if (left == 0) return 0;
    want = static_cast<size_t>(std::min<std::uint64_t>(want, left));
  }
  while (true) {
    ssize_t n = ::read(stream.fd.get(), buffer, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      paused_ = true;  // the loop polls the descriptor and unpauses us
      return CURL_READFUNC_PAUSE;
    }
    if (n < 0) {
      read_error_ = files::errnoError(errno, "read the upload's body stream");
      return CURL_READFUNC_ABORT;
    }
    if (n == 0 && stream.length && up_.stream_bytes_taken < *stream.length) {
      read_error_ = Error(errc::needs_new_body_stream, "The upload's body stream ended after " + std::to_string(up_.stream_bytes_taken) +
                                        " of the " + std::to_string(*stream.length) +
                                        " bytes announced; give the task a stream of the announced length.");
      return CURL_READFUNC_ABORT;
    }
    up_.stream_bytes_taken += static_cast<std::uint64_t>(n);
    return static_cast<size_t>(n);
  }
}

int UploadAttempt::onSeek(void* self, curl_off_t offset, int origin) {
  auto* attempt = static_cast<UploadAttempt*>(self);
  // curl rewinds when it must send the body again on a new connection (a reused connection that
  // turned out dead). A file goes back; a stream can only "rewind" to where it still is.
  if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
  if (attempt->up_.is_stream()) return offset == 0 && attempt->body_read_ == 0 ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_CANTSEEK;
  attempt->body_read_ = static_cast<std::uint64_t>(offset);
  attempt->up_.total_sent = attempt->body_start_ + attempt->body_read_;
  return CURL_SEEKFUNC_OK;
}

int UploadAttempt::pausedFd() const {
  if (!paused_ || !up_.is_stream()) return -1;
  return std::get<StreamBody>(up_.body).fd.get();
}

void UploadAttempt::unpause() {
  if (!paused_) return;
  paused_ = false;
  curl_easy_pause(easy_.get(), CURLPAUSE_CONT);  // may call onRead at once (and pause again)
}

}  // namespace ferry::engine
