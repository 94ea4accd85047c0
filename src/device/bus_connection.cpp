#include "device/bus_connection.hpp"

#include <poll.h>
#include <time.h>

#include <cstring>

#include <spdlog/spdlog.h>

namespace ferry::device {
namespace {

Error busError(int r, const std::string& what) {
  return Error(errc::io, what + ": " + std::strerror(-r));
}

}  // namespace

Result<std::unique_ptr<BusConnection>> BusConnection::open(boost::asio::io_context& io, Kind kind, const std::string& address) {
  sd_bus* raw = nullptr;
  const std::string what = (kind == Kind::system ? "system bus" : "session bus") + (address.empty() ? "" : " " + address);
  int r = 0;
  if (address.empty()) {
    r = kind == Kind::system ? sd_bus_open_system(&raw) : sd_bus_open_user(&raw);
  } else {
    r = sd_bus_new(&raw);
    if (r >= 0) r = sd_bus_set_address(raw, address.c_str());
    if (r >= 0) r = sd_bus_set_bus_client(raw, 1);
    if (r >= 0) r = sd_bus_start(raw);
  }
  std::unique_ptr<sd_bus, BusCloser> bus(raw);
  if (r < 0) return tl::unexpected(busError(r, "cannot connect to the " + what));
  // sd_bus_start connects asynchronously for some transports: the fd exists now either way.
  const int fd = sd_bus_get_fd(bus.get());
  if (fd < 0) return tl::unexpected(busError(fd, "cannot use the " + what));
  std::unique_ptr<BusConnection> c(new BusConnection(io, std::move(bus), what));
  c->kick();
  return c;
}

BusConnection::BusConnection(boost::asio::io_context& io, std::unique_ptr<sd_bus, BusCloser> bus, std::string describe)
    : bus_(std::move(bus)), describe_(std::move(describe)), descriptor_(io, sd_bus_get_fd(bus_.get())), timer_(io) {}

BusConnection::~BusConnection() {
  *alive_ = false;
  boost::system::error_code ignored;
  descriptor_.cancel(ignored);
  descriptor_.release();  // sd-bus owns the socket
  timer_.cancel();
}

void BusConnection::kick() {
  boost::asio::post(descriptor_.get_executor(), [this, alive = alive_] {
    if (*alive) process();
  });
}

// Runs sd-bus until it has nothing more to do now (each call handles at most one message, and
// runs the callbacks it concerns), then waits for what it needs next.
void BusConnection::process() {
  if (lost_) return;
  for (;;) {
    const int r = sd_bus_process(bus_.get(), nullptr);
    if (r < 0) {
      lost_ = true;
      spdlog::warn("device: lost the {} ({}); its sources are unavailable from now on", describe_, std::strerror(-r));
      if (on_lost_) on_lost_();
      return;
    }
    if (r == 0) break;
  }
  arm();
}

// One wait of `type` at a time (`pending` says whether it is out); sd-bus runs when it ends.
void BusConnection::waitFor(boost::asio::posix::stream_descriptor::wait_type type, bool& pending) {
  if (pending) return;
  pending = true;
  descriptor_.async_wait(type, [this, &pending, alive = alive_](const boost::system::error_code& ec) {
    if (!*alive || ec) return;
    pending = false;
    process();
  });
}

void BusConnection::arm() {
  const int events = sd_bus_get_events(bus_.get());
  if (events < 0) return;
  if (events & POLLIN) waitFor(boost::asio::posix::stream_descriptor::wait_read, reading_);
  if (events & POLLOUT) waitFor(boost::asio::posix::stream_descriptor::wait_write, writing_);
  std::uint64_t until = 0;  // CLOCK_MONOTONIC microseconds; UINT64_MAX: no timeout
  if (sd_bus_get_timeout(bus_.get(), &until) < 0 || until == UINT64_MAX) return;
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const std::uint64_t now_us = static_cast<std::uint64_t>(now.tv_sec) * 1000000 + static_cast<std::uint64_t>(now.tv_nsec) / 1000;
  timer_.expires_after(std::chrono::microseconds(until > now_us ? until - now_us : 0));
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (!*alive || ec) return;
    process();
  });
}

}  // namespace ferry::device
