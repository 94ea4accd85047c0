#pragma once
// The body after the header was written. From a local file: zero-copy, sendfile(2) to the raw
// socket; the socket is non-blocking, on EAGAIN we wait for writability through Asio, with a
// deadline per wait so a stalled reader is dropped. From a blob elsewhere (RADOS): read piece by
// piece without blocking the I/O thread, the next piece read while the last one is written.

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
void sendBlobAsync(boost::asio::ip::tcp::socket& socket, BlobSpan span, std::chrono::milliseconds idle_timeout,
                   std::function<void(boost::system::error_code)> done);

}  // namespace vf
