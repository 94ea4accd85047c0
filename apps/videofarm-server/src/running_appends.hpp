#pragma once
// The resumable-upload requests appending right now in this process, by upload token, on any of
// its I/O threads (main.cpp). A newer request for an upload supersedes the running one (its bytes
// synced and recorded at once, upload_appender.hpp), so that a client reconnecting after a cut
// gets the exact offset before the server has noticed the cut. The running appender must do that
// on its own thread (it records through its thread's catalogue connection): a request on another
// thread hands the supersede over and waits for it.

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace vf {

class UploadAppender;

class RunningAppends : public std::enable_shared_from_this<RunningAppends> {
 public:
  // Called on the appender's own thread; `thread` runs that thread's work (empty: tests without one).
  void add(const std::string& token, UploadAppender* appender, boost::asio::any_io_executor thread);
  void remove(const std::string& token, const UploadAppender* appender);
  bool running(const std::string& token) const;
  // Supersedes the running appender of `token`, if any, and returns once it has, or after
  // `patience` when its thread does not get to it (the caller then finds the upload locked and
  // answers 409 with the durable offset, which the client retries from).
  void supersede(const std::string& token, std::chrono::milliseconds patience = std::chrono::seconds(2));

 private:
  struct Entry {
    UploadAppender* appender = nullptr;
    std::uint64_t serial = 0;  // which registration: an address may be reused by a later appender
    std::thread::id owner;
    boost::asio::any_io_executor thread;
  };
  bool stillRunning(const std::string& token, std::uint64_t serial) const;

  mutable std::mutex mutex_;
  std::uint64_t next_serial_ = 1;
  std::map<std::string, Entry> entries_;
};

}  // namespace vf
