#pragma once
// Zero-copy body: sendfile(2) from the file to the raw socket after the header was written.
// The socket is non-blocking; on EAGAIN we wait for writability through Asio, with a deadline
// per wait so a stalled reader is dropped.

#include <chrono>
#include <functional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include "http_types.hpp"

namespace vf {

// Sends the span and calls `done` exactly once (success, error or timeout). The socket must
// outlive the operation (the caller's handler keeps its owner alive).
void sendFileAsync(boost::asio::ip::tcp::socket& socket, FileSpan span, std::chrono::milliseconds idle_timeout,
                   std::function<void(boost::system::error_code)> done);

}  // namespace vf
