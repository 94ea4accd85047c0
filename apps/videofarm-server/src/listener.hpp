#pragma once
// Accepts connections and starts an HttpSession for each, up to --max-connections.

#include <memory>

#include <boost/asio/ip/tcp.hpp>

#include "app.hpp"

namespace vf {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Binds and listens; throws on failure (start-up).
  Listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint, App& app);
  void run();
  boost::asio::ip::tcp::endpoint localEndpoint() const { return acceptor_.local_endpoint(); }

 private:
  void accept();
  void refuse(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  App& app_;
};

}  // namespace vf
