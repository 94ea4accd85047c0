#include "http_session.hpp"

#include <algorithm>

#include <boost/asio/dispatch.hpp>
#include <spdlog/spdlog.h>

#include "movie_sender.hpp"
#include "router.hpp"

namespace vf {
namespace beast = boost::beast;
namespace asio = boost::asio;

namespace {

constexpr std::size_t kBodyChunk = 256 * 1024;
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::uint64_t kLingerBytes = 4ull << 20;

bool expectsContinue(const RequestHeader& req) {
  auto it = req.find(http::field::expect);
  return it != req.end() && beast::iequals(it->value(), "100-continue") && req.version() >= 11;
}

// A syntax error of the request (answered with 400) rather than an I/O failure.
bool isHttpError(const boost::beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category();
}

bool hasNoBodyStatus(unsigned code) { return code < 200 || code == 204 || code == 304; }

}  // namespace

HttpSession::HttpSession(asio::ip::tcp::socket&& socket, App& app)
    : stream_(std::move(socket)), app_(app), body_buffer_(kBodyChunk) {
  ++*app_.connections;
}

HttpSession::~HttpSession() {
  abortHandler();
  --*app_.connections;
}

void HttpSession::run() {
  asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&HttpSession::readHeader, shared_from_this()));
}

void HttpSession::readHeader() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(app_.config.max_header_bytes));
  parser_->body_limit(boost::none);  // each route enforces its own limit
  stream_.expires_after(app_.config.read_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onHeader(ec); });
}

void HttpSession::onHeader(beast::error_code ec) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::connection_reset ||
      ec == asio::error::eof)
    return closeNow();
  if (ec) {
    if (!isHttpError(ec)) return closeNow();
    bool too_big = ec == http::error::header_limit;
    Problem p{too_big ? http::status::request_header_fields_too_large : http::status::bad_request,
              too_big ? "the request header is larger than " + std::to_string(app_.config.max_header_bytes) + " bytes"
                      : "malformed request: " + ec.message(),
              {}};
    Response r = errorResponse(p);
    r.close = true;
    keep_alive_ = false;
    return respond(std::move(r));
  }
  const auto& req = parser_->get();
  keep_alive_ = req.keep_alive();
  boost::system::error_code peer_ec;
  auto peer = stream_.socket().remote_endpoint(peer_ec);
  handler_ = route(app_, req.base(), peer_ec ? std::string("unknown") : peer.address().to_string());
  std::vector<Response> interim;
  auto early = handler_->start(req.base(), interim);
  if (early) {
    handler_.reset();
    if (!parser_->is_done()) early->close = true;  // the unread body would be taken for a request
    return respond(std::move(*early));
  }
  if (expectsContinue(req)) interim.insert(interim.begin(), interimResponse(100, "Continue"));
  if (req.version() < 11) interim.clear();  // HTTP/1.0 has no 1xx
  writeInterim(std::move(interim), 0);
}

void HttpSession::writeInterim(std::vector<Response> interim, std::size_t index) {
  if (index >= interim.size()) return readBody();
  auto msg = std::make_shared<http::response<http::empty_body>>(std::move(interim[index].header));
  msg->version(11);
  in_flight_ = msg;
  stream_.expires_after(app_.config.write_timeout);
  http::async_write(stream_, *msg,
                    [self = shared_from_this(), interim = std::move(interim), index](beast::error_code ec,
                                                                                     std::size_t) mutable {
                      self->in_flight_.reset();
                      if (ec) {
                        self->abortHandler();
                        return self->closeNow();
                      }
                      self->writeInterim(std::move(interim), index + 1);
                    });
}

// A body with a Content-Length is read straight from the socket into body_buffer_ (up to 256 KiB
// per read) rather than through Beast's parser, whose reads are at most 64 KiB and often much
// smaller: through the parser a 256 MiB PUT took ~30,000 read/write pairs and ran at a seventh of
// nginx's speed. Chunked bodies still go through the parser, which decodes them.
void HttpSession::readBody() {
  if (parser_->is_done()) return finishBody();
  if (!parser_->chunked() && parser_->content_length_remaining()) {
    raw_body_left_ = *parser_->content_length_remaining();
    if (buffer_.size() > 0) {  // bytes that arrived with the header
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer_.size(), raw_body_left_));
      const bool ok = deliverBody(std::string_view(static_cast<const char*>(buffer_.data().data()), n));
      buffer_.consume(n);
      raw_body_left_ -= n;
      if (!ok) return;
    }
    return readRawBody();
  }
  auto& body = parser_->get().body();
  body.data = body_buffer_.data();
  body.size = body_buffer_.size();
  // Re-armed per read: a long upload is bounded by idleness, not by its total time.
  stream_.expires_after(app_.config.read_timeout);
  http::async_read_some(stream_, buffer_, *parser_,
                        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onBody(ec); });
}

void HttpSession::readRawBody() {
  if (raw_body_left_ == 0) return finishBody();
  const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(body_buffer_.size(), raw_body_left_));
  stream_.expires_after(app_.config.read_timeout);  // idleness, not total time, as above
  stream_.async_read_some(asio::buffer(body_buffer_.data(), want),
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                            if (ec) {
                              spdlog::debug("request body cut: {}", ec.message());
                              self->abortHandler();
                              return self->closeNow();
                            }
                            self->raw_body_left_ -= n;
                            if (self->deliverBody(std::string_view(self->body_buffer_.data(), n))) self->readRawBody();
                          });
}

void HttpSession::onBody(beast::error_code ec) {
  if (ec == http::error::need_buffer) ec = {};
  if (ec) {
    spdlog::debug("request body cut: {}", ec.message());
    bool parse_error = isHttpError(ec) && ec != http::error::partial_message && ec != http::error::end_of_stream;
    abortHandler();
    if (!parse_error) return closeNow();
    Response r = errorResponse({http::status::bad_request, "malformed request body: " + ec.message(), {}});
    r.close = true;
    return respond(std::move(r));
  }
  auto& body = parser_->get().body();
  std::size_t got = body_buffer_.size() - body.size;
  if (got > 0 && !deliverBody(std::string_view(body_buffer_.data(), got))) return;
  readBody();
}

bool HttpSession::deliverBody(std::string_view bytes) {
  if (bytes.empty()) return true;
  auto r = handler_->body(bytes);
  if (r) return true;
  abortHandler();
  Response resp = errorResponse(r.error());
  resp.close = true;  // the rest of the body is unread
  respond(std::move(resp));
  return false;
}

void HttpSession::finishBody() {
  Response r = handler_->finish();
  handler_.reset();
  respond(std::move(r));
}

void HttpSession::respond(Response r) {
  bool close = r.close || !keep_alive_;
  const unsigned code = r.header.result_int();
  r.header.set(http::field::server, "videofarm");
  r.header.version(11);
  stream_.expires_after(app_.config.write_timeout);
  auto done = [self = shared_from_this(), close](beast::error_code ec, std::size_t) { self->onWritten(ec, close); };
  if (r.file || r.blob || r.head_only || hasNoBodyStatus(code)) {
    if (r.file) r.header.set(http::field::content_length, std::to_string(r.file->length));
    if (r.blob) r.header.set(http::field::content_length, std::to_string(r.blob->length));
    if (hasNoBodyStatus(code)) r.header.erase(http::field::content_length);
    pending_file_ = std::move(r.file);
    pending_blob_ = std::move(r.blob);
    auto msg = std::make_shared<http::response<http::empty_body>>(std::move(r.header));
    msg->keep_alive(!close);
    in_flight_ = msg;
    return http::async_write(stream_, *msg, std::move(done));
  }
  auto msg = std::make_shared<http::response<http::string_body>>(std::move(r.header), std::move(r.body));
  msg->prepare_payload();
  msg->keep_alive(!close);
  in_flight_ = msg;
  http::async_write(stream_, *msg, std::move(done));
}

void HttpSession::onWritten(beast::error_code ec, bool close) {
  in_flight_.reset();
  if (ec) {
    pending_file_.reset();
    pending_blob_.reset();
    return closeNow();
  }
  // The body after the header: the sender keeps its own deadline per write.
  auto sent = [self = shared_from_this(), close](boost::system::error_code sec) {
    if (sec) {
      spdlog::debug("sending a body: {}", sec.message());
      return self->closeNow();
    }
    self->onWritten({}, close);
  };
  if (pending_file_) {
    FileSpan span = std::move(*pending_file_);
    pending_file_.reset();
    stream_.expires_never();
    return sendFileAsync(stream_.socket(), std::move(span), app_.config.write_timeout, std::move(sent));
  }
  if (pending_blob_) {
    BlobSpan span = std::move(*pending_blob_);
    pending_blob_.reset();
    stream_.expires_never();
    return sendBlobAsync(stream_.socket(), std::move(span), app_.config.write_timeout, std::move(sent));
  }
  if (close) return lingerThenClose();
  readHeader();
}

// Half-close, then read and drop what the client still sends for a moment, so that it reads our
// answer instead of a connection reset caused by its unread body.
void HttpSession::lingerThenClose() {
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  stream_.expires_after(kLingerTime);
  stream_.async_read_some(asio::buffer(body_buffer_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
    self->linger_drained_ += n;
    if (ec || self->linger_drained_ > kLingerBytes) return self->closeNow();
    self->lingerThenClose();
  });
}

void HttpSession::closeNow() {
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.close();
}

void HttpSession::abortHandler() {
  if (!handler_) return;
  auto handler = std::move(handler_);
  handler->abort();
}

}  // namespace vf
