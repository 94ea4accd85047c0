#include "daemon/client_connection.hpp"

#include <spdlog/spdlog.h>

namespace ferry::daemon {

namespace {
// A client that stops reading does not make ferryd buffer without bound: it is disconnected
// (its session's events stay in the outbox for the next attach).
constexpr std::size_t kMaxQueuedBytes = 64 * 1024 * 1024;
}  // namespace

ClientConnection::ClientConnection(Socket socket, MessageHandler& handler, pid_t peer_pid)
    : socket_(std::move(socket)), handler_(handler), peer_pid_(peer_pid) {}

void ClientConnection::start() { readMore(); }

void ClientConnection::readMore() {
  auto self = shared_from_this();
  socket_.async_read_some(boost::asio::buffer(buffer_),
                          [self](const boost::system::error_code& ec, std::size_t n) { self->onRead(ec, n); });
}

void ClientConnection::onRead(const boost::system::error_code& ec, std::size_t n) {
  if (ec) {
    close();
    return;
  }
  lines_.append(std::string_view(buffer_.data(), n));
  auto self = shared_from_this();
  while (open_) {
    auto line = lines_.next();
    if (!line) break;
    if (line->empty()) continue;
    auto message = protocol::parseLine(*line);
    if (!message) {
      sendError(nullptr, message.error());
      continue;
    }
    dispatch(self, *message);
  }
  if (lines_.overflowed()) {
    sendError(nullptr, Error(errc::protocol, "message longer than 1 MiB without a newline; closing the connection"));
    close();
    return;
  }
  if (open_) readMore();
}

// Handlers get their request decoded (a field of the wrong type is answered before they run, see
// Daemon::route); an exception here is ferryd's own failure, answered as internal, and the daemon goes on.
void ClientConnection::dispatch(const std::shared_ptr<ClientConnection>& self, const protocol::Json& message) {
  try {
    handler_.onMessage(self, message);
  } catch (const std::exception& e) {
    spdlog::error("message from pid {} failed: {}", peerPid(), e.what());
    const auto id = message.find("id");
    sendError(id == message.end() ? protocol::Json(nullptr) : *id,
              Error(errc::internal, std::string("ferryd could not handle this message: ") + e.what()));
  }
}

void ClientConnection::send(const protocol::Json& message) {
  if (!open_) return;
  sendLine(protocol::toLine(message));
}

void ClientConnection::sendLine(std::string line) {
  if (!open_) return;
  outgoing_bytes_ += line.size();
  if (outgoing_bytes_ > kMaxQueuedBytes) {
    spdlog::warn("client pid {} is not reading; disconnecting it", peer_pid_);
    close();
    return;
  }
  outgoing_.push_back(std::move(line));
  if (!writing_) writeNext();
}

void ClientConnection::sendError(const protocol::Json& request_id, const Error& error) {
  send({{"type", protocol::type::reply}, {"id", request_id}, {"ok", false}, {"error", protocol::errorJson(error)}});
}

void ClientConnection::writeNext() {
  if (outgoing_.empty() || !open_) {
    writing_ = false;
    return;
  }
  writing_ = true;
  // Everything queued goes out in one write: the lines a burst queues while the first is being
  // written (a group of endings' events) are one system call, not one each.
  writing_lines_.clear();
  writing_buffers_.clear();
  while (!outgoing_.empty()) {
    writing_lines_.push_back(std::move(outgoing_.front()));
    outgoing_.pop_front();
  }
  for (const auto& line : writing_lines_) writing_buffers_.push_back(boost::asio::buffer(line));
  auto self = shared_from_this();
  boost::asio::async_write(socket_, writing_buffers_,
                           [self](const boost::system::error_code& ec, std::size_t n) {
                             self->outgoing_bytes_ -= n;
                             if (ec) {
                               self->close();
                               return;
                             }
                             self->writeNext();
                           });
}

void ClientConnection::close() {
  if (!open_) return;
  open_ = false;
  // Let queued writes go out before the socket goes: shutdown after the write queue drains is
  // not worth the complexity; an error reply followed by close is best-effort by design.
  boost::system::error_code ignored;
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
  handler_.onClosed(shared_from_this());
}

}  // namespace ferry::daemon
