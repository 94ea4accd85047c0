#pragma once
// Connectivity from the kernel, without polling: a rtnetlink socket subscribed to link, address
// and route changes. Each burst of notifications makes one fresh dump of the links and routes
// (a RouteTable; the notifications themselves are only a signal, so none can be misapplied or
// lost to a full socket buffer), and the listener hears of it when the table changed. Runs on
// the owner's io_context.

#include <functional>
#include <memory>

#include <boost/asio.hpp>

#include "common/error.hpp"
#include "device/route_table.hpp"

struct mnl_socket;

namespace ferry::device {

class NetlinkWatcher {
 public:
  using Listener = std::function<void(const RouteTable&)>;

  // Fails (the caller runs without connectivity) when the kernel refuses a netlink socket.
  static Result<std::unique_ptr<NetlinkWatcher>> start(boost::asio::io_context& io, Listener listener);
  ~NetlinkWatcher();

  const RouteTable& table() const { return table_; }

 private:
  struct SocketCloser {
    void operator()(mnl_socket* s) const;
  };
  using Socket = std::unique_ptr<mnl_socket, SocketCloser>;

  NetlinkWatcher(boost::asio::io_context& io, Listener listener, Socket events, Socket requests);
  void waitForEvents();
  void onEvents();
  Result<RouteTable> dump();
  Result<void> dumpOne(int message_type, RouteTable& into);

  Listener listener_;
  Socket events_;    // subscribed to the multicast groups
  Socket requests_;  // our dump requests and their answers
  boost::asio::posix::stream_descriptor descriptor_;
  RouteTable table_;
  unsigned sequence_ = 0;
};

}  // namespace ferry::device
