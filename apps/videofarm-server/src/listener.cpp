#include "listener.hpp"

#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "http_session.hpp"

namespace vf {
namespace asio = boost::asio;
using asio::ip::tcp;

Listener::Listener(asio::io_context& ioc, const tcp::endpoint& endpoint, App& app)
    : ioc_(ioc), acceptor_(ioc), app_(app) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  // Every I/O thread listens on the same port with a socket of its own; the kernel spreads the
  // connections among them (main.cpp).
  acceptor_.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void Listener::run() { accept(); }

void Listener::accept() {
  acceptor_.async_accept(ioc_, [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      spdlog::warn("accept: {}", ec.message());
    } else if (*self->app_.connections >= self->app_.config.max_connections) {
      self->refuse(std::move(socket));
    } else {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<HttpSession>(std::move(socket), self->app_)->run();
    }
    self->accept();
  });
}

// Over the limit: a short 503 and close, without taking a session slot.
void Listener::refuse(tcp::socket socket) {
  static const std::string kBusy =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
      "Connection: close\r\nContent-Length: 62\r\n\r\n"
      "{\"error\":\"the server has too many connections; retry shortly\"}";
  auto sock = std::make_shared<tcp::socket>(std::move(socket));
  asio::async_write(*sock, asio::buffer(kBusy), [sock](boost::system::error_code, std::size_t) {
    boost::system::error_code ignored;
    sock->shutdown(tcp::socket::shutdown_both, ignored);
    sock->close(ignored);
  });
}

}  // namespace vf
