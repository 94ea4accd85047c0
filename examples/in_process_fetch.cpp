// A default session: quick requests in this process, no daemon. Usage:
//   ferry-example-fetch URL            prints the answer's status and body (a data task's future)
//   ferry-example-fetch URL FILE       downloads URL into FILE (a download task with a handler)
#include <filesystem>
#include <future>
#include <iostream>

#include "ferry/session.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: ferry-example-fetch URL [FILE]\n";
    return 2;
  }
  auto session = ferry::Session::create(ferry::Configuration::defaults());
  if (!session) {
    std::cerr << session.error().message << "\n";
    return 1;
  }
  if (argc == 2) {
    auto answer = (*session)->data(ferry::Request(argv[1])).get();
    if (!answer) {
      std::cerr << "failed: " << answer.error().describe() << "\n";
      return 1;
    }
    std::cout << "status " << answer->status_code << "\n" << answer->body;
    return 0;
  }
  std::promise<bool> done;
  const std::filesystem::path file = argv[2];
  auto task = (*session)->downloadTask(ferry::Request(argv[1]), [&](ferry::Result<ferry::Response> r) {
    if (!r) {
      std::cerr << "failed: " << r.error().describe() << "\n";
      return done.set_value(false);
    }
    std::filesystem::rename(r->location, file);  // the handler owns the downloaded file
    std::cout << "status " << r->status_code << ", saved to " << file.string() << "\n";
    done.set_value(true);
  });
  if (!task || !task->resume()) return 1;
  return done.get_future().get() ? 0 : 1;
}
