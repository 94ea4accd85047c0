// ferry-soak-client: a libferry application that records every delegate callback, for the soak
// suite (bench/soak/soak.py).
//
//   ferry-soak-client --socket S --session ID --record FILE [--submit MANIFEST] [--exit-after-submit]
//                     [--stall-timeout SECONDS] [--max-concurrent N] [--max-per-host N]
//                     [--max-bytes-per-second N]
//
// It attaches to the background session ID (never starting ferryd: the suite does that), submits
// the downloads of MANIFEST if given, and then records callbacks until SIGTERM/SIGINT, when it
// detaches cleanly (destroys the Session) and exits 0. libferry acknowledges each stored event when
// its callback returns, so every recorded line is one delivery the application acted on.
//
// MANIFEST: one task per line: a download "KEY URL DESTINATION", a download from resume data
// "KEY resume:BLOBFILE DESTINATION" (downloadTaskWithResumeData), or an upload of a file with PUT
// "KEY upload:FILE URL" (uploadTask). Each task is resumed at once (tasks start suspended).
//
// The record file is appended with one write(2) per line (O_APPEND), so a SIGKILL leaves whole
// lines only. Lines (each with CLOCK_MONOTONIC seconds T after the first word):
//   attach T PID
//   submitted T PID KEY TASK
//   ev T PID SEQ resume TASK OFFSET EXPECTED
//   ev T PID SEQ finish TASK LOCATION SIZE_AT_CALLBACK
//   ev T PID SEQ response TASK STATUS                (uploads: didReceiveResponse)
//   ev T PID SEQ data TASK BYTES                     (uploads: didReceiveData)
//   ev T PID SEQ complete TASK ok|ERROR_CODE STATUS has-resume-data(0|1)
//   drained T PID
//   detach T PID PROGRESS
// A didComplete with resume data also writes it to RECORD.resume.TASK (for the disk-full phase).
// didWriteData and didSendBodyData are transient (not stored, seq 0): only counted, in the detach
// line.

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <ferry/session.hpp>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

class Record {
 public:
  explicit Record(const std::string& path) : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {
    if (fd_ < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  }
  ~Record() { ::close(fd_); }
  // Every line gets CLOCK_MONOTONIC seconds after its first word, so the suite can place it
  // against the moments it killed ferryd (Python's time.monotonic() is the same clock).
  void line(const std::string& text) {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "%lld.%06ld", static_cast<long long>(ts.tv_sec), ts.tv_nsec / 1000);
    auto space = text.find(' ');
    std::string l = text.substr(0, space) + " " + stamp + (space == std::string::npos ? "" : text.substr(space)) + "\n";
    if (::write(fd_, l.data(), l.size()) != static_cast<ssize_t>(l.size())) std::perror("record write");
  }

 private:
  int fd_;
};

std::string one(const std::string& s) {  // a field without spaces
  std::string out = s.empty() ? "-" : s;
  for (auto& c : out)
    if (c == ' ' || c == '\n') c = '_';
  return out;
}

class RecordingDelegate : public ferry::SessionDelegate {
 public:
  RecordingDelegate(Record& record, std::string record_path) : record_(record), record_path_(std::move(record_path)) {}

  void didWriteData(ferry::Session&, ferry::DownloadTask&, std::int64_t, std::int64_t, std::int64_t) override {
    ++progress_;
  }
  void didSendBodyData(ferry::Session&, ferry::UploadTask&, std::int64_t, std::int64_t, std::int64_t) override {
    ++progress_;
  }
  void didReceiveResponse(ferry::Session& s, ferry::UploadTask& t, long status,
                          const std::vector<std::pair<std::string, std::string>>&) override {
    ev(s, "response", t, std::to_string(status));
  }
  void didReceiveData(ferry::Session& s, ferry::UploadTask& t, const std::string& data) override {
    ev(s, "data", t, std::to_string(data.size()));
  }
  void didResumeAtOffset(ferry::Session& s, ferry::DownloadTask& t, std::int64_t offset, std::int64_t expected) override {
    ev(s, "resume", t, std::to_string(offset) + " " + std::to_string(expected));
  }
  void didFinishDownloadingTo(ferry::Session& s, ferry::DownloadTask& t, const std::filesystem::path& location) override {
    std::error_code ec;
    auto size = std::filesystem::file_size(location, ec);
    ev(s, "finish", t, one(location.string()) + " " + (ec ? std::string("missing") : std::to_string(size)));
  }
  void didComplete(ferry::Session& s, ferry::DownloadTask& t, const ferry::Completion& c) override {
    if (!c.resume_data.empty()) {
      // Written aside and renamed over: a redelivered didComplete rewrites the file while another
      // thread may be reading it, and a truncated read looked like bad resume data.
      const std::string path = record_path_ + ".resume." + std::to_string(t.identifier());
      std::ofstream(path + ".tmp", std::ios::trunc) << c.resume_data;
      std::error_code ec;
      std::filesystem::rename(path + ".tmp", path, ec);
    }
    std::string outcome = c.ok() ? "ok" : one(c.error->code);
    ev(s, "complete", t, outcome + " " + std::to_string(c.status_code) + " " + (c.resume_data.empty() ? "0" : "1"));
    if (!c.ok()) std::cerr << "task " << t.identifier() << ": " << c.error->describe() << "\n";
  }
  void didFinishEvents(ferry::Session&) override { record_.line("drained " + std::to_string(::getpid())); }

  std::uint64_t progress() const { return progress_; }

 private:
  void ev(ferry::Session& s, const char* name, ferry::DownloadTask& t, const std::string& rest) {
    std::ostringstream l;
    l << "ev " << ::getpid() << " " << s.currentEventSequence() << " " << name << " " << t.identifier() << " " << rest;
    record_.line(l.str());
  }
  Record& record_;
  std::string record_path_;
  std::atomic<std::uint64_t> progress_{0};
};

struct Args {
  std::string socket, session, record, submit;
  bool exit_after_submit = false;
  int stall_timeout = 60;
  int max_concurrent = 6;
  int max_per_host = 4;
  std::uint64_t max_bytes_per_second = 0;
};

int usage() {
  std::cerr << "usage: ferry-soak-client --socket S --session ID --record FILE [--submit MANIFEST] [--exit-after-submit]\n"
               "                         [--stall-timeout SECONDS] [--max-concurrent N] [--max-per-host N]\n"
               "                         [--max-bytes-per-second N]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(k + " needs a value");
      return argv[++i];
    };
    try {
      if (k == "--socket") a.socket = next();
      else if (k == "--session") a.session = next();
      else if (k == "--record") a.record = next();
      else if (k == "--submit") a.submit = next();
      else if (k == "--exit-after-submit") a.exit_after_submit = true;
      else if (k == "--stall-timeout") a.stall_timeout = std::stoi(next());
      else if (k == "--max-concurrent") a.max_concurrent = std::stoi(next());
      else if (k == "--max-per-host") a.max_per_host = std::stoi(next());
      else if (k == "--max-bytes-per-second") a.max_bytes_per_second = std::stoull(next());
      else return usage();
    } catch (const std::exception& e) {
      std::cerr << e.what() << "\n";
      return usage();
    }
  }
  if (a.socket.empty() || a.session.empty() || a.record.empty()) return usage();

  // SIGTERM/SIGINT are taken synchronously below: block them before any thread exists.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  Record record(a.record);
  record.line("attach " + std::to_string(::getpid()));
  auto delegate = std::make_shared<RecordingDelegate>(record, a.record);
  auto config = ferry::Configuration::background(a.session)
                    .socketPath(a.socket)
                    .startDaemon(false)
                    .maxConcurrentTransfers(a.max_concurrent)
                    .maxConnectionsPerHost(a.max_per_host)
                    .maxBytesPerSecond(a.max_bytes_per_second);
  auto session = ferry::Session::create(config, delegate);
  if (!session) {
    std::cerr << "attach failed: " << session.error().describe() << "\n";
    return 1;
  }

  if (!a.submit.empty()) {
    std::ifstream manifest(a.submit);
    std::string key, source, destination;
    while (manifest >> key >> source >> destination) {
      ferry::DownloadOptions options;
      options.destination = destination;
      options.description = key;
      ferry::Result<ferry::Task> task = tl::unexpected(ferry::Error(ferry::errc::internal, "unset"));
      if (source.rfind("upload:", 0) == 0) {  // "KEY upload:FILE URL": the third field is the URL
        ferry::Request request(destination);
        request.method = "PUT";
        request.stall_timeout = std::chrono::seconds(a.stall_timeout);
        request.connect_timeout = std::chrono::seconds(5);
        ferry::UploadOptions upload;
        upload.description = key;
        task = (*session)->uploadTask(request, source.substr(7), upload);
      } else if (source.rfind("resume:", 0) == 0) {
        std::ifstream blob(source.substr(7));
        std::string data((std::istreambuf_iterator<char>(blob)), std::istreambuf_iterator<char>());
        task = (*session)->downloadTaskWithResumeData(data, options);
      } else {
        ferry::Request request(source);
        request.stall_timeout = std::chrono::seconds(a.stall_timeout);
        request.connect_timeout = std::chrono::seconds(5);
        task = (*session)->downloadTask(request, options);
      }
      if (!task) {
        std::cerr << "submit " << key << " failed: " << task.error().describe() << "\n";
        return 1;
      }
      if (auto r = task->resume(); !r) {
        std::cerr << "resume " << key << " failed: " << r.error().describe() << "\n";
        return 1;
      }
      record.line("submitted " + std::to_string(::getpid()) + " " + key + " " + std::to_string(task->identifier()));
    }
  }

  if (!a.exit_after_submit) {
    int sig = 0;
    sigwait(&stop, &sig);
  }
  session->reset();  // detach: tasks go on in ferryd, unacknowledged events wait there
  record.line("detach " + std::to_string(::getpid()) + " " + std::to_string(delegate->progress()));
  return 0;
}
