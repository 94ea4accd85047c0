#pragma once
// A child process started by a test: argv, environment additions, stdout+stderr to a log file.
// The destructor kills it (SIGKILL) and reaps it, so a failing test leaves nothing running.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ferry::test {

class Process {
 public:
  struct Options {
    std::vector<std::string> argv;
    std::map<std::string, std::string> env;  // added to (or replacing in) the test's environment
    std::filesystem::path log;               // stdout and stderr go here (appended); empty: /dev/null
    std::filesystem::path cwd;
    std::optional<std::string> stdin_text;   // fed through a pipe, then closed
  };

  explicit Process(Options options);
  ~Process();
  Process(Process&& other) noexcept;
  Process& operator=(Process&&) = delete;
  Process(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int sig);
  // Waits for the exit; returns the exit code (128+signal when killed), nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  void kill9AndWait();

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Runs a command to completion, returning its exit code and captured stdout (stderr to the log).
struct CommandResult {
  int exit_code = -1;
  std::string out;
};
CommandResult runCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(120),
                         const std::optional<std::string>& stdin_text = std::nullopt);

}  // namespace ferry::test
