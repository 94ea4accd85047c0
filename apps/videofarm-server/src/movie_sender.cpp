#include "movie_sender.hpp"

#include <sys/sendfile.h>

#include <memory>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace vf {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// Bytes sent in one go before yielding to other connections on the I/O thread.
constexpr std::uint64_t kFairShare = 4ull << 20;

class SendFileOp : public std::enable_shared_from_this<SendFileOp> {
 public:
  SendFileOp(asio::ip::tcp::socket& socket, FileSpan span, std::chrono::milliseconds timeout,
             std::function<void(error_code)> done)
      : socket_(socket), span_(std::move(span)), timeout_(timeout), timer_(socket.get_executor()),
        done_(std::move(done)) {}

  void step() {
    error_code ec;
    socket_.non_blocking(true, ec);
    if (ec) return complete(ec);
    std::uint64_t sent_now = 0;
    while (span_.length > 0) {
      if (sent_now >= kFairShare) {
        asio::post(socket_.get_executor(), [self = shared_from_this()] { self->step(); });
        return;
      }
      auto offset = static_cast<off_t>(span_.offset);
      std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(span_.length, 1u << 30));
      ssize_t n = ::sendfile(socket_.native_handle(), span_.fd.get(), &offset, chunk);
      if (n > 0) {
        span_.offset += static_cast<std::uint64_t>(n);
        span_.length -= static_cast<std::uint64_t>(n);
        sent_now += static_cast<std::uint64_t>(n);
        continue;
      }
      if (n == 0) return complete(asio::error::eof);  // the file shrank under us
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return waitWritable();
      return complete(error_code(errno, boost::system::system_category()));
    }
    complete({});
  }

 private:
  void waitWritable() {
    timer_.expires_after(timeout_);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      if (!ec) {
        self->timed_out_ = true;
        error_code ignored;
        self->socket_.cancel(ignored);
      }
    });
    socket_.async_wait(asio::ip::tcp::socket::wait_write, [self = shared_from_this()](error_code ec) {
      self->timer_.cancel();
      if (self->timed_out_) return self->complete(asio::error::timed_out);
      if (ec) return self->complete(ec);
      self->step();
    });
  }

  void complete(error_code ec) {
    if (!done_) return;
    auto done = std::move(done_);
    done_ = nullptr;
    done(ec);
  }

  asio::ip::tcp::socket& socket_;
  FileSpan span_;
  std::chrono::milliseconds timeout_;
  asio::steady_timer timer_;
  std::function<void(error_code)> done_;
  bool timed_out_ = false;
};

}  // namespace

void sendFileAsync(asio::ip::tcp::socket& socket, FileSpan span, std::chrono::milliseconds idle_timeout,
                   std::function<void(error_code)> done) {
  std::make_shared<SendFileOp>(socket, std::move(span), idle_timeout, std::move(done))->step();
}

}  // namespace vf
