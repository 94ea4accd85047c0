#pragma once
// One HTTP/1.1 connection: read a header, hand it to the route's handler, stream the body to it
// (answering Expect: 100-continue first), write the answer (sendfile for files), repeat.

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "app.hpp"
#include "http_types.hpp"

namespace vf {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket&& socket, App& app);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  void run();

 private:
  void readHeader();
  void onHeader(boost::beast::error_code ec);
  void writeInterim(std::vector<Response> interim, std::size_t index);
  void readBody();
  void readRawBody();
  void onBody(boost::beast::error_code ec);
  bool deliverBody(std::string_view bytes);  // false: the handler refused, an error answer is on its way
  void finishBody();
  void respond(Response response);
  void onWritten(boost::beast::error_code ec, bool close);
  void lingerThenClose();
  void closeNow();
  void abortHandler();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  App& app_;
  std::optional<http::request_parser<http::buffer_body>> parser_;
  std::unique_ptr<RequestHandler> handler_;
  std::vector<char> body_buffer_;
  std::shared_ptr<void> in_flight_;  // the message being written
  std::optional<FileSpan> pending_file_;
  std::optional<BlobSpan> pending_blob_;
  bool keep_alive_ = false;
  std::uint64_t linger_drained_ = 0;
  std::uint64_t raw_body_left_ = 0;  // bytes of a Content-Length body not yet read
};

}  // namespace vf
