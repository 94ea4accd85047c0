#pragma once
// Removes resumable uploads whose expiry passed (tus expiration; the IETF draft lets a server
// drop abandoned uploads), every --upload-sweep-s (a minute); with several instances on one
// catalogue, one of them at a time (removeExpiredUploads takes the catalogue's sweep lock).

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "app.hpp"

namespace vf {

class UploadJanitor {
 public:
  UploadJanitor(boost::asio::io_context& ioc, App& app) : timer_(ioc), app_(app) {}
  void start();
  // One sweep now; returns how many uploads were removed.
  std::size_t sweep();

 private:
  void schedule();
  boost::asio::steady_timer timer_;
  App& app_;
};

}  // namespace vf
