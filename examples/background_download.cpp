// A minimal application of a background session: the README shows this file.
//
//   ferry-example-download URL DIR   hands the download to ferryd and exits at once
//   ferry-example-download DIR       attaches again, takes the finished files into DIR, exits
//
// Between the two runs ferryd does the work, through network faults and its own restarts.

#include <ferry/files.hpp>
#include <ferry/session.hpp>

#include <filesystem>
#include <iostream>

class Delegate : public ferry::SessionDelegate {
 public:
  explicit Delegate(std::filesystem::path dir) : dir_(std::move(dir)) {}

  void didFinishDownloadingTo(ferry::Session&, ferry::DownloadTask& task, const std::filesystem::path& location) override {
    // The file at `location` is removed when this returns: move it now (a rename, or a copy when
    // DIR is on another file system than ferryd's state; durable either way).
    auto target = dir_ / ("download-" + std::to_string(task.identifier()));
    if (auto moved = ferry::moveFileDurably(location, target); !moved)
      std::cerr << "cannot keep the file: " << moved.error().describe() << "\n";
    else
      std::cout << "task " << task.identifier() << " -> " << target.string() << "\n";
  }

  void didComplete(ferry::Session&, ferry::DownloadTask& task, const ferry::Completion& c) override {
    if (c.ok())
      std::cout << "task " << task.identifier() << " completed (HTTP " << c.status_code << ")\n";
    else
      std::cout << "task " << task.identifier() << " failed: " << c.error->message << "\n";
  }

 private:
  std::filesystem::path dir_;
};

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::cerr << "usage: " << argv[0] << " [URL] DIR\n";
    return 2;
  }
  std::filesystem::path dir = argv[argc - 1];
  auto delegate = std::make_shared<Delegate>(dir);
  auto session = ferry::Session::create(ferry::Configuration::background("com.example.downloader"), delegate);
  if (!session) {
    std::cerr << session.error().message << "\n";
    return 1;
  }
  if (argc == 3) {
    auto task = (*session)->downloadTask(ferry::Request(argv[1]));
    if (!task) {
      std::cerr << task.error().message << "\n";
      return 1;
    }
    task->resume();  // tasks start suspended, as in URLSession
    std::cout << "task " << task->identifier() << " handed to ferryd\n";
    return 0;  // exit: the download goes on without us
  }
  // Attached again: queued events are delivered, then didFinishEvents.
  (*session)->waitForEventsDrained(std::chrono::seconds(10));
  return 0;
}
