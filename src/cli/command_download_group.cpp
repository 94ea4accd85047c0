// ferryctl download -i FILE --group NAME: the list's files as one download group (a BITS job):
// one create_group, one progress line (files and bytes), and at the end either every file in
// place or none, with the file(s) that failed and why. All or nothing from the start too: a line
// that cannot be used refuses the whole group (nothing is created), unlike a plain -i list.
// download --resume-data FILE with a group's blob creates the group again the same way.

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>

#include "commands.hpp"
#include "download_list.hpp"
#include "protocol/groups.hpp"

namespace ferry::cli {
namespace {

using protocol::Json;

// Draws the group's progress line and keeps the groups that ended (didCompleteGroup).
class GroupJobDelegate : public SessionDelegate {
 public:
  explicit GroupJobDelegate(const Context& ctx) : tty_(::isatty(2) != 0 && !ctx.json) {}

  void didWriteGroupData(Session&, std::uint64_t group, const GroupProgress& progress) override {
    std::lock_guard lock(mutex_);
    if (!tty_ || group != watched_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    std::cerr << "\r\033[Kgroup " << group << ": " << groupProgressText(progress) << std::flush;
  }
  void didCompleteGroup(Session&, const GroupInfo& group, const std::optional<std::string>&) override {
    std::lock_guard lock(mutex_);
    ended_[group.id] = group;
    ended_cv_.notify_all();
  }

  // The group whose progress is drawn (its events may come before its id is known here).
  void watch(std::uint64_t group) {
    std::lock_guard lock(mutex_);
    watched_ = group;
  }
  GroupInfo waitForEnd(std::uint64_t group) {
    std::unique_lock lock(mutex_);
    ended_cv_.wait(lock, [&] { return ended_.count(group) != 0; });
    if (tty_) std::cerr << "\r\033[K";
    return ended_[group];
  }

 private:
  const bool tty_;
  std::mutex mutex_;
  std::condition_variable ended_cv_;
  std::uint64_t watched_ = 0;
  std::map<std::uint64_t, GroupInfo> ended_;
  std::chrono::steady_clock::time_point last_draw_{};
};

// "FILE:LINE: " for a member given in the list (its index in the group), else nothing.
std::string whereInList(const std::string& file, const std::vector<ListLine>& lines, std::size_t index) {
  return index < lines.size() ? file + ":" + std::to_string(lines[index].number) + ": " : std::string();
}

// ferryd's refusal names the entry ("create_group: tasks[3]: ..."): say which line that is.
Error withLineOf(const Error& e, const std::string& file, const std::vector<ListLine>& lines) {
  const auto at = e.message.find("tasks[");
  if (at == std::string::npos) return e;
  const std::size_t first = at + 6;
  std::size_t digits = first;
  std::size_t index = 0;
  for (; digits < e.message.size() && digits < first + 6 && e.message[digits] >= '0' && e.message[digits] <= '9'; ++digits)
    index = index * 10 + static_cast<std::size_t>(e.message[digits] - '0');
  if (digits == first || digits >= e.message.size() || e.message[digits] != ']') return e;
  const std::string where = whereInList(file, lines, index);
  return where.empty() ? e : Error(e.code, where + e.message);
}

// Prints the group's end: every file in place, or why not and which files failed.
int reportEnd(const Context& ctx, const GroupInfo& g, const std::string& file, const std::vector<ListLine>& lines) {
  if (ctx.json) {
    std::cout << protocol::groupInfoToJson(g).dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
  } else if (g.state == "completed") {
    std::cerr << "group " << g.id << " (" << g.name << "): " << g.progress.files_done << " files in place, "
              << groupProgressText(g.progress) << "\n";
  } else {
    std::cerr << "group " << g.id << " (" << g.name << ") " << g.state << ": no file of it was put in place";
    if (g.error) std::cerr << ": " << g.error->message << " [" << g.error->code << "]";
    std::cerr << "\n";
    for (const auto& f : g.failures) {
      std::size_t index = lines.size();
      for (std::size_t i = 0; i < g.tasks.size(); ++i)
        if (g.tasks[i] == f.task) index = i;
      std::cerr << "ferryctl: " << whereInList(file, lines, index) << f.url << " -> " << f.destination << ": "
                << f.error.message << " [" << f.error.code << "]\n";
    }
  }
  return g.state == "completed" ? kExitOk : kExitTaskFailed;
}

// Prints the group's id (--detach) or waits for its end and reports it.
int runGroup(const Context& ctx, GroupJobDelegate& delegate, const GroupInfo& created, bool detach, const std::string& file,
             const std::vector<ListLine>& lines) {
  if (detach) {
    std::cout << (ctx.json ? Json{{"group", created.id}, {"session", ctx.session}}.dump() : std::to_string(created.id))
              << "\n";
    return kExitOk;
  }
  delegate.watch(created.id);
  return reportEnd(ctx, delegate.waitForEnd(created.id), file, lines);
}

// The group's share of the command line's options: --description and scheduling (started at once).
GroupOptions groupOptionsOf(const DownloadOptions& shared) {
  GroupOptions options;
  options.description = shared.description;
  options.scheduling = shared.scheduling;
  options.start = true;
  return options;
}

}  // namespace

int downloadGroup(const Context& given, const DownloadArgs& args) {
  Context ctx = given;
  auto shared = downloadOptionsFor(args);
  if (!shared) return report(ctx, shared.error());
  auto list = readList(args.input_file);
  if (!list) return report(ctx, list.error());
  const auto& [lines, problems] = *list;
  if (!problems.empty()) {  // a group is all or nothing: nothing is created
    for (const auto& p : problems) reportProblem(ctx, args.input_file, p);
    if (!ctx.json) std::cerr << "ferryctl: group " << args.group << " not created: every line must be a download\n";
    return kExitUsage;
  }
  if (lines.empty()) return report(ctx, Error(errc::invalid_argument, "the download list " + args.input_file + " names no download"));
  std::vector<GroupFile> files;
  files.reserve(lines.size());
  for (const auto& line : lines) {
    auto request = requestFor(line.url, args.headers);
    if (!request) return report(ctx, request.error());
    GroupFile f;
    f.request = std::move(*request);
    f.destination = outputOf(line);
    f.connections = shared->connections;
    files.push_back(std::move(f));
  }
  auto delegate = std::make_shared<GroupJobDelegate>(ctx);
  auto session = attach(ctx, delegate, args.detach);
  if (!session) return report(ctx, session.error());
  auto group = (*session)->downloadGroup(args.group, std::move(files), groupOptionsOf(*shared));
  if (!group) return report(ctx, withLineOf(group.error(), args.input_file, lines));
  return runGroup(ctx, *delegate, *group, args.detach, args.input_file, lines);
}

int downloadGroupWithResumeData(const Context& given, const DownloadArgs& args, const std::string& blob) {
  Context ctx = given;
  auto shared = downloadOptionsFor(args);
  if (!shared) return report(ctx, shared.error());
  auto delegate = std::make_shared<GroupJobDelegate>(ctx);
  auto session = attach(ctx, delegate, args.detach);
  if (!session) return report(ctx, session.error());
  auto group = (*session)->downloadGroupWithResumeData(blob, groupOptionsOf(*shared));
  if (!group) return report(ctx, group.error());
  return runGroup(ctx, *delegate, *group, args.detach, args.resume_data_file, {});
}

}  // namespace ferry::cli
