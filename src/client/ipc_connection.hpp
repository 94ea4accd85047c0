#pragma once
// libferry's side of the IPC socket: one reader thread that routes replies to the waiting caller
// and everything else (events, events_drained) to `on_event`. When ferryd goes away (a crash, a
// restart) it reconnects, starting ferryd if needed, and says hello again, so an attached
// Session keeps receiving events across daemon restarts.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "protocol/messages.hpp"
#include "protocol/requests.hpp"

namespace ferry {

class IpcConnection {
 public:
  struct Options {
    std::filesystem::path socket;  // empty: paths::defaultSocket()
    bool start_daemon = true;
    protocol::Hello hello;         // sent (with an id added) on every (re)connect
    bool reconnect = false;
    std::function<void(const protocol::Json&)> on_event;
  };

  // Connects and completes the hello handshake; its error (e.g. already-attached) is returned.
  static Result<std::unique_ptr<IpcConnection>> open(Options options);
  ~IpcConnection();

  const protocol::Json& helloResult() const { return hello_result_; }

  // Sends a request (an "id" is added) and waits for its reply's result.
  Result<protocol::Json> request(protocol::Json message, std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Sends without waiting (acks).
  void post(const protocol::Json& message);

 private:
  explicit IpcConnection(Options options) : options_(std::move(options)) {}
  Result<void> connectAndGreet();
  Result<std::string> readLine(int fd);
  bool writeLine(const std::string& line);
  void readerLoop();
  void failPending(const Error& error);

  Options options_;
  protocol::Json hello_result_;
  std::mutex write_mutex_;
  UniqueFd fd_;
  std::string read_buffer_;

  std::mutex pending_mutex_;
  std::condition_variable replied_;
  std::map<std::uint64_t, std::optional<Result<protocol::Json>>> pending_;
  std::atomic<std::uint64_t> next_id_{1};
  std::atomic<bool> stopping_{false};
  int wake_pipe_[2] = {-1, -1};
  std::thread reader_;
};

}  // namespace ferry
