#pragma once
// One accepted IPC connection: reads newline-delimited JSON, hands each message to the
// MessageHandler, and writes replies and events in order. Lives on the IPC thread.

#include <sys/types.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio.hpp>

#include "protocol/line_buffer.hpp"
#include "protocol/messages.hpp"

namespace ferry::daemon {

class ClientConnection;

class MessageHandler {
 public:
  virtual ~MessageHandler() = default;
  virtual void onMessage(const std::shared_ptr<ClientConnection>& connection, const protocol::Json& message) = 0;
  virtual void onClosed(const std::shared_ptr<ClientConnection>& connection) = 0;
};

class ClientConnection : public std::enable_shared_from_this<ClientConnection> {
 public:
  using Socket = boost::asio::local::stream_protocol::socket;

  ClientConnection(Socket socket, MessageHandler& handler, pid_t peer_pid);
  void start();
  void send(const protocol::Json& message);
  // A message already serialised as one line (with its newline).
  void sendLine(std::string line);
  void sendError(const protocol::Json& request_id, const Error& error);
  void close();
  bool open() const { return open_; }
  pid_t peerPid() const { return peer_pid_; }

  // Set by the handler after a successful hello.
  bool greeted = false;
  std::string attached_session;  // empty: a control connection
  bool watching = false;
  std::string watch_session;  // a watcher of one session only (ferryctl events); empty: all

 private:
  void readMore();
  void dispatch(const std::shared_ptr<ClientConnection>& self, const protocol::Json& message);
  void onRead(const boost::system::error_code& ec, std::size_t n);
  void writeNext();

  Socket socket_;
  MessageHandler& handler_;
  pid_t peer_pid_;
  protocol::LineBuffer lines_{protocol::kMaxLineBytes};
  std::array<char, 64 * 1024> buffer_{};
  std::deque<std::string> outgoing_;
  // What the write in progress sends: everything that was queued when it began, in one writev.
  std::vector<std::string> writing_lines_;
  std::vector<boost::asio::const_buffer> writing_buffers_;
  std::size_t outgoing_bytes_ = 0;
  bool writing_ = false;
  bool open_ = true;
};

}  // namespace ferry::daemon
