// A tiny application of a background session with a launch command, for the relaunch tests.
//
//   ferry-test-relaunch-app SESSION DIR [--url URL] [--refresh S] [--min-interval S]
//
// Every run appends "<reason> <unix ms> <pid>" to DIR/launches.log (reason: $FERRY_LAUNCH_REASON,
// or "manual" when started by hand). It attaches to SESSION with itself (same arguments, minus
// --url) as the launch command. With --url it hands over a download and exits at once; without, it
// takes the queued events — finished files are moved to DIR/got/task-<id>, callbacks are appended
// to DIR/events.log — and exits after didFinishEvents.

#include <ferry/session.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

void appendLine(const std::filesystem::path& file, const std::string& line) {
  std::ofstream out(file, std::ios::app);
  out << line << "\n";
}

class Delegate : public ferry::SessionDelegate {
 public:
  // `handing_over`: a run that only submits; its (empty) didFinishEvents is not recorded.
  Delegate(std::filesystem::path dir, bool handing_over) : dir_(std::move(dir)), handing_over_(handing_over) {}

  void didFinishDownloadingTo(ferry::Session&, ferry::DownloadTask& task, const std::filesystem::path& location) override {
    std::filesystem::create_directories(dir_ / "got");
    std::filesystem::rename(location, dir_ / "got" / ("task-" + std::to_string(task.identifier())));
    appendLine(dir_ / "events.log", "finish " + std::to_string(task.identifier()));
  }
  void didComplete(ferry::Session&, ferry::Task& task, const ferry::Completion& c) override {
    appendLine(dir_ / "events.log", "complete " + std::to_string(task.identifier()) + " " + (c.ok() ? "ok" : c.error->code));
  }
  void didFinishEvents(ferry::Session&) override {
    if (!handing_over_) appendLine(dir_ / "events.log", "drained");
  }

 private:
  std::filesystem::path dir_;
  bool handing_over_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0] << " SESSION DIR [--url URL] [--refresh S] [--min-interval S]\n";
    return 2;
  }
  const std::string session_id = argv[1];
  const std::filesystem::path dir = argv[2];
  std::string url;
  long refresh = 0;
  long min_interval = 30;
  std::vector<std::string> relaunch = {std::filesystem::canonical("/proc/self/exe").string(), session_id, dir.string()};
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string option = argv[i];
    const std::string value = argv[i + 1];
    if (option == "--url") {
      url = value;
      continue;  // a relaunch does not download again
    }
    if (option == "--refresh") refresh = std::stol(value);
    if (option == "--min-interval") min_interval = std::stol(value);
    relaunch.push_back(option);
    relaunch.push_back(value);
  }
  const char* reason = std::getenv("FERRY_LAUNCH_REASON");
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  appendLine(dir / "launches.log", std::string(reason ? reason : "manual") + " " + std::to_string(now.count()) + " " +
                                       std::to_string(::getpid()));
  std::cout << "relaunch app started (" << (reason ? reason : "manual") << ")" << std::endl;  // ferryd logs this

  auto configuration = ferry::Configuration::background(session_id)
                           .startDaemon(false)
                           .launchCommand(relaunch, dir.string())
                           .minLaunchInterval(std::chrono::seconds(min_interval))
                           .refreshInterval(std::chrono::seconds(refresh));
  auto session = ferry::Session::create(configuration, std::make_shared<Delegate>(dir, !url.empty()));
  if (!session) {
    std::cerr << session.error().describe() << "\n";
    return 1;
  }
  if (!url.empty()) {
    auto task = (*session)->downloadTask(ferry::Request(url));
    if (!task || !task->resume()) {
      std::cerr << "could not start the download\n";
      return 1;
    }
    std::cout << "task " << task->identifier() << " handed to ferryd\n";
    return 0;
  }
  return (*session)->waitForEventsDrained(std::chrono::seconds(60)) ? 0 : 1;
}
