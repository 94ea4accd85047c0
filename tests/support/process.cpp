#include "support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace ferry::test {
namespace {

std::vector<std::string> mergedEnvironment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> all;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) all[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) all[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : all) out.push_back(k + "=" + v);
  return out;
}

int decodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

Process::Process(Options options) {
  if (options.argv.empty()) throw std::invalid_argument("Process: empty argv");
  std::vector<std::string> env = mergedEnvironment(options.env);
  std::vector<char*> argv;
  for (auto& a : options.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  int in_pipe[2] = {-1, -1};
  if (options.stdin_text && ::pipe2(in_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::setpgid(0, 0);  // own process group: kill the whole tree later
    int devnull = ::open("/dev/null", O_RDWR);
    int logfd = options.log.empty() ? devnull
                                    : ::open(options.log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (options.stdin_text) {
      ::dup2(in_pipe[0], 0);
    } else {
      ::dup2(devnull, 0);
    }
    ::dup2(logfd, 1);
    ::dup2(logfd, 2);
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) _exit(126);
    ::execvpe(argv[0], argv.data(), envp.data());
    const char msg[] = "exec failed\n";
    (void)!::write(2, msg, sizeof msg - 1);
    _exit(127);
  }
  if (options.stdin_text) {
    ::close(in_pipe[0]);
    const std::string& text = *options.stdin_text;
    size_t off = 0;
    while (off < text.size()) {
      ssize_t n = ::write(in_pipe[1], text.data() + off, text.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::close(in_pipe[1]);
  }
}

Process::Process(Process&& other) noexcept : pid_(other.pid_), status_(other.status_) { other.pid_ = -1; }

Process::~Process() {
  if (pid_ > 0 && !status_) kill9AndWait();
}

bool Process::running() {
  if (pid_ <= 0 || status_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = decodeStatus(status);
    return false;
  }
  return true;
}

void Process::signal(int sig) {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  if (pid_ <= 0) return std::nullopt;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return status_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

void Process::kill9AndWait() {
  if (pid_ <= 0 || status_) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  status_ = decodeStatus(status);
}

CommandResult runCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& env,
                         std::chrono::milliseconds timeout, const std::optional<std::string>& stdin_text) {
  char tmpl[] = "/tmp/ferry-cmd-XXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  ::close(fd);
  CommandResult result;
  {
    Process p({argv, env, tmpl, {}, stdin_text});
    auto code = p.wait(timeout);
    if (!code) {
      p.kill9AndWait();
      result.exit_code = -1;
    } else {
      result.exit_code = *code;
    }
  }
  std::ifstream in(tmpl, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  result.out = ss.str();
  ::unlink(tmpl);
  return result;
}

}  // namespace ferry::test
