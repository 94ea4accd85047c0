// ferryctl download -i FILE: many downloads in one go, like `aria2c -i`. One download per line,
// "URL [-o OUTPUT]"; blank lines and lines starting with # are skipped. The downloads are created
// in batches (Session::downloadTasks: one round trip and one ferryd transaction per thousand) in
// ferryctl's session, and one progress line shows the group's totals. A line that cannot be
// used (no URL, an unknown word, a URL or OUTPUT ferryd refuses) is reported with its number and
// the other lines still run; the exit status then says so (2).

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>

#include "common/human_units.hpp"
#include "common/url_file_name.hpp"
#include "commands.hpp"
#include "download_list.hpp"
#include "protocol/messages.hpp"

namespace ferry::cli {
namespace {

using protocol::Json;

// One line's download, or why the line cannot be used.
Result<ListLine> parseListLine(std::size_t number, const std::string& text) {
  std::istringstream words(text);
  ListLine line;
  line.number = number;
  std::string word;
  while (words >> word) {
    if (word == "-o" || word == "--output") {
      if (!(words >> line.output))
        return fail(errc::invalid_argument, word + " needs a file name after it");
    } else if (line.url.empty() && word[0] != '-') {
      line.url = word;
    } else {
      return fail(errc::invalid_argument, "unexpected \"" + word + "\"; a line is URL [-o OUTPUT]");
    }
  }
  if (line.url.empty()) return fail(errc::invalid_argument, "no URL; a line is URL [-o OUTPUT]");
  return line;
}

}  // namespace

Result<std::pair<std::vector<ListLine>, std::vector<ListProblem>>> readList(const std::string& file) {
  std::ifstream opened;
  if (file != "-") {
    opened.open(file);
    if (!opened) return fail(errc::invalid_argument, "cannot read the download list " + file);
  }
  std::istream& in = file == "-" ? std::cin : opened;
  std::pair<std::vector<ListLine>, std::vector<ListProblem>> out;
  std::string text;
  for (std::size_t number = 1; std::getline(in, text); ++number) {
    const auto start = text.find_first_not_of(" \t\r");
    if (start == std::string::npos || text[start] == '#') continue;
    auto line = parseListLine(number, text);
    if (line) out.first.push_back(std::move(*line));
    else out.second.push_back({number, line.error()});
  }
  return out;
}

std::string outputOf(const ListLine& line) {
  return line.output.empty() ? urls::fileNameOf(line.url, "index.html") : line.output;
}

void reportProblem(const Context& ctx, const std::string& file, const ListProblem& p) {
  if (ctx.json)
    std::cout << Json{{"line", p.number}, {"ok", false}, {"error", protocol::errorJson(p.error)}}.dump() << "\n";
  else
    std::cerr << "ferryctl: " << file << ":" << p.number << ": " << p.error.message << " [" << p.error.code << "]\n";
}

namespace {

// Counts the group's ends and bytes; draws one progress line on a terminal.
class GroupDelegate : public SessionDelegate {
 public:
  explicit GroupDelegate(const Context& ctx) : ctx_(ctx), tty_(::isatty(2) != 0 && !ctx.json) {}

  void didWriteData(Session&, DownloadTask& task, std::int64_t, std::int64_t total, std::int64_t) override {
    std::lock_guard lock(mutex_);
    running_bytes_[task.identifier()] = static_cast<std::uint64_t>(total);
    drawLocked(false);
  }
  void didFinishDownloadingTo(Session&, DownloadTask& task, const std::filesystem::path& location) override {
    std::lock_guard lock(mutex_);
    locations_[task.identifier()] = location.string();
  }
  void didComplete(Session&, DownloadTask& task, const Completion& c) override {
    std::lock_guard lock(mutex_);
    const auto id = task.identifier();
    auto running = running_bytes_.find(id);
    if (running != running_bytes_.end()) {
      finished_bytes_ += running->second;
      running_bytes_.erase(running);
    }
    outcomes_[id] = c.error;
    if (lines_.count(id) != 0) countLocked(id);  // else once it is named (a task may end that fast)
    drawLocked(true);
  }

  // How many downloads the progress line counts.
  void expect(std::size_t total) {
    std::lock_guard lock(mutex_);
    total_ = total;
  }
  // Which line each task came from, for the reports.
  void name(std::uint64_t task, const ListLine& line) {
    std::lock_guard lock(mutex_);
    lines_[task] = line;
    if (outcomes_.count(task) != 0) countLocked(task);
  }
  // Blocks until `count` tasks have ended.
  void waitForEnds(std::size_t count) {
    std::unique_lock lock(mutex_);
    ended_.wait(lock, [&] { return ok_ + failed_ >= count; });
    drawLocked(true);
    if (tty_) std::cerr << "\n";
  }
  // Each failed task with its line; the number failed.
  std::size_t reportFailures(const std::string& file) {
    std::lock_guard lock(mutex_);
    for (const auto& [id, error] : outcomes_) {
      auto named = lines_.find(id);
      if (named == lines_.end()) continue;  // another task of the session (an earlier ferryctl's)
      const auto& line = named->second;
      if (ctx_.json) {
        Json j{{"line", line.number}, {"task", id}, {"url", line.url}, {"ok", !error}, {"location", locations_[id]}};
        if (error) j["error"] = protocol::errorJson(*error);
        std::cout << j.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
      } else if (error) {
        std::cerr << "ferryctl: " << file << ":" << line.number << ": " << line.url << ": " << error->message << " ["
                  << error->code << "]\n";
      }
    }
    return failed_;
  }

 private:
  // Only the tasks of this list count; the session may deliver others' events too.
  void countLocked(std::uint64_t id) {
    outcomes_[id] ? ++failed_ : ++ok_;
    ended_.notify_all();
  }

  // "1234/10000 done, 2 failed, 18.4 MiB, 5.1 MiB/s", at most ten times a second (and at the end).
  void drawLocked(bool force) {
    if (!tty_) return;
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    std::uint64_t bytes = finished_bytes_;
    for (const auto& [id, b] : running_bytes_) bytes += b;
    const double seconds = std::chrono::duration<double>(now - started_).count();
    std::cerr << "\r\033[K" << ok_ + failed_ << "/" << total_ << " done";
    if (failed_ != 0) std::cerr << ", " << failed_ << " failed";
    std::cerr << ", " << units::humanBytes(bytes);
    if (seconds > 0.5) std::cerr << ", " << units::humanBytes(static_cast<std::uint64_t>(bytes / seconds)) << "/s";
    std::cerr << std::flush;
  }

  const Context& ctx_;
  const bool tty_;
  std::mutex mutex_;
  std::condition_variable ended_;
  std::size_t total_ = 0;
  std::size_t ok_ = 0, failed_ = 0;
  std::uint64_t finished_bytes_ = 0;
  std::map<std::uint64_t, std::uint64_t> running_bytes_;
  std::map<std::uint64_t, std::optional<Error>> outcomes_;
  std::map<std::uint64_t, std::string> locations_;
  std::map<std::uint64_t, ListLine> lines_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace

int downloadList(const Context& given, const DownloadArgs& args) {
  Context ctx = given;
  auto options = downloadOptionsFor(args);
  if (!options) return report(ctx, options.error());
  auto list = readList(args.input_file);
  if (!list) return report(ctx, list.error());
  auto& [lines, problems] = *list;
  std::vector<DownloadRequest> batch;
  for (const auto& line : lines) {
    auto request = requestFor(line.url, args.headers);
    if (!request) return report(ctx, request.error());  // a bad -H is every line's problem
    DownloadRequest r{std::move(*request), *options};
    r.options.destination = outputOf(line);
    batch.push_back(std::move(r));
  }
  const std::size_t total = lines.size() + problems.size();
  auto delegate = std::make_shared<GroupDelegate>(ctx);
  delegate->expect(lines.size());
  std::unique_ptr<Session> session;
  std::size_t created = 0;
  if (!batch.empty()) {
    auto attached = attach(ctx, delegate, args.detach);
    if (!attached) return report(ctx, attached.error());
    session = std::move(*attached);
    auto tasks = session->downloadTasks(batch);
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      if (!tasks[i]) {
        problems.push_back({lines[i].number, tasks[i].error()});
        continue;
      }
      ++created;
      delegate->name(tasks[i]->identifier(), lines[i]);
      if (args.detach)
        std::cout << (ctx.json ? Json{{"line", lines[i].number}, {"task", tasks[i]->identifier()}, {"session", ctx.session}}.dump()
                               : std::to_string(tasks[i]->identifier()))
                  << "\n";
    }
  }
  std::sort(problems.begin(), problems.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
  for (const auto& p : problems) reportProblem(ctx, args.input_file, p);
  if (!args.detach && created != 0) {
    delegate->expect(created);
    delegate->waitForEnds(created);
  }
  const std::size_t failed = args.detach ? 0 : delegate->reportFailures(args.input_file);
  if (!ctx.json && !args.detach)
    std::cerr << "ferryctl: " << created - failed << " of " << total << " downloads done" << (failed ? ", " + std::to_string(failed) + " failed" : "")
              << (problems.empty() ? "" : ", " + std::to_string(problems.size()) + " lines refused") << "\n";
  if (!problems.empty()) return kExitUsage;
  return failed != 0 ? kExitTaskFailed : kExitOk;
}

}  // namespace ferry::cli
