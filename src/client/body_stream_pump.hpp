#pragma once
// Feeds one body stream of a streamed upload into the pipe ferryd named in needNewBodyStream.
//
// The application's std::istream is read on a thread of its own (a stream may block, and the
// delegate thread must stay free for other events). When the stream ends the pump tells ferryd
// how many bytes it held — before closing the pipe, so that ferryd can tell a finished stream
// from a pump that stopped (the application exiting) — through `ended`.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <istream>
#include <memory>
#include <thread>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace ferry {

class BodyStreamPump {
 public:
  using Ended = std::function<void(std::uint64_t bytes)>;

  // Opens the pipe's write end (ferryd holds the read end, so this does not wait).
  static Result<std::unique_ptr<BodyStreamPump>> open(const std::filesystem::path& pipe);
  // Starts copying `body` into the pipe; `ended` runs on the pump's thread after the last byte.
  void start(std::unique_ptr<std::istream> body, Ended ended);
  // Stops early (the pipe is closed without `ended`: ferryd treats the stream as broken).
  ~BodyStreamPump();
  bool finished() const { return finished_.load(); }

 private:
  explicit BodyStreamPump(UniqueFd fd) : fd_(std::move(fd)) {}
  void run(std::unique_ptr<std::istream> body, Ended ended);
  bool writeAll(const char* data, std::size_t size);

  UniqueFd fd_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

}  // namespace ferry
