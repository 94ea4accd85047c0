// sendBlobAsync (movie_sender.hpp): a blob that is not a local file, read in pieces through the
// store's asynchronous reads (completed on the store's threads, continued on the I/O thread) and
// written with a deadline per write. Two buffers: the next piece is read while one is written.
#include <array>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "blob_store.hpp"
#include "movie_sender.hpp"

namespace vf {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// One piece: a RADOS chunk object's size, so that a piece is mostly one read of one object.
constexpr std::size_t kPieceBytes = 4u << 20;

class SendBlobOp : public std::enable_shared_from_this<SendBlobOp> {
 public:
  SendBlobOp(asio::ip::tcp::socket& socket, BlobSpan span, std::chrono::milliseconds timeout,
             std::function<void(error_code)> done)
      : socket_(socket), executor_(socket.get_executor()), span_(std::move(span)), timeout_(timeout), timer_(socket.get_executor()),
        done_(std::move(done)) {
    const auto piece = static_cast<std::size_t>(std::min<std::uint64_t>(span_.length, kPieceBytes));
    for (auto& b : buffers_) b.resize(piece);
  }

  void start() {
    if (span_.length == 0) return complete({});
    readNext();
  }

 private:
  // Reads the next piece into the buffer not being written.
  void readNext() {
    const std::uint64_t left = span_.length - requested_;
    if (left == 0) return;
    auto& buffer = buffers_[next_buffer_];
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer.size()));
    span_.reader->readAsync(span_.offset + requested_, buffer.data(), n,
                            [self = shared_from_this()](ferry::Result<std::size_t> got) {
                              asio::post(self->executor_, [self, got = std::move(got)] { self->onRead(got); });
                            });
  }

  // After complete() the socket may be gone: nothing touches it again.
  void onRead(const ferry::Result<std::size_t>& got) {
    if (!done_) return;
    if (!got || *got == 0) {
      spdlog::warn("reading a blob to send failed: {}", got ? "it ended early" : got.error().describe());
      return complete(asio::error::broken_pipe);
    }
    ready_ = Piece{next_buffer_, *got};
    requested_ += *got;
    next_buffer_ ^= 1;
    if (!writing_) writeReady();
  }

  void writeReady() {
    const Piece piece = *ready_;
    ready_.reset();
    writing_ = true;
    readNext();  // into the other buffer, while this one goes out
    timer_.expires_after(timeout_);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (ec) return;
      self->timed_out_ = true;
      error_code ignored;
      self->socket_.cancel(ignored);
    });
    asio::async_write(socket_, asio::buffer(buffers_[piece.buffer].data(), piece.size),
                      [self = shared_from_this()](error_code ec, std::size_t n) { self->onWritten(ec, n); });
  }

  void onWritten(error_code ec, std::size_t n) {
    writing_ = false;
    timer_.cancel();
    if (!done_) return;
    if (timed_out_) return complete(asio::error::timed_out);
    if (ec) return complete(ec);
    written_ += n;
    if (written_ == span_.length) return complete({});
    if (ready_) writeReady();
    // else: the read in flight calls writeReady when it lands
  }

  void complete(error_code ec) {
    if (!done_) return;
    auto done = std::move(done_);
    done_ = nullptr;
    done(ec);
  }

  struct Piece {
    int buffer = 0;
    std::size_t size = 0;
  };

  asio::ip::tcp::socket& socket_;
  asio::any_io_executor executor_;  // read completions come back here (from the store's threads)
  BlobSpan span_;
  std::chrono::milliseconds timeout_;
  asio::steady_timer timer_;
  std::function<void(error_code)> done_;
  std::array<std::vector<char>, 2> buffers_;
  int next_buffer_ = 0;
  std::optional<Piece> ready_;
  std::uint64_t requested_ = 0;  // bytes asked of the store so far
  std::uint64_t written_ = 0;
  bool writing_ = false;
  bool timed_out_ = false;
};

}  // namespace

void sendBlobAsync(asio::ip::tcp::socket& socket, BlobSpan span, std::chrono::milliseconds idle_timeout,
                   std::function<void(error_code)> done) {
  std::make_shared<SendBlobOp>(socket, std::move(span), idle_timeout, std::move(done))->start();
}

}  // namespace vf
