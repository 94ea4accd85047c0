// status and handle-events: attach to the background session, let the queued events update the
// state, then show what is in flight (status) or exit (handle-events, the relaunch command).
#include <cstdlib>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "format.hpp"

namespace videofarm::cli {

namespace {

bool isProgress(const Event& e) {
  return std::holds_alternative<UploadProgress>(e) || std::holds_alternative<DownloadProgress>(e);
}

// Notifications other than progress, printed as they happen.
Subscription printNotifications(Context& ctx) {
  return ctx.hub()->subscribe([](const Event& e) {
    if (!isProgress(e)) std::cout << describe(e) << std::endl;
  });
}

nlohmann::json statusJson(const std::vector<TransferStatus>& all, const std::vector<LibraryEntry>& library) {
  auto transfers = nlohmann::json::array();
  for (const auto& s : all) {
    const auto& t = s.transfer;
    transfers.push_back({{"video", t.video_id},
                         {"title", s.title},
                         {"role", roleName(t.role)},
                         {"state", stateName(t.state)},
                         {"bytes_done", t.bytes_done},
                         {"bytes_total", t.bytes_total ? nlohmann::json(*t.bytes_total) : nlohmann::json(nullptr)},
                         {"task", t.task ? nlohmann::json(*t.task) : nlohmann::json(nullptr)},
                         {"waiting_for", s.task ? s.task->waiting_for : std::string()},
                         {"resumable", !t.resume_data.empty()},
                         {"error", t.error}});
  }
  auto entries = nlohmann::json::array();
  for (const auto& e : library)
    entries.push_back({{"video", e.video_id},
                       {"movie", e.movie.string()},
                       {"thumbnail", e.thumbnail ? nlohmann::json(e.thumbnail->string()) : nlohmann::json(nullptr)}});
  return {{"transfers", transfers}, {"library", entries}};
}

void printStatus(const std::vector<TransferStatus>& all, const std::vector<LibraryEntry>& library, const Context& ctx) {
  if (all.empty()) std::cout << "nothing in flight\n";
  for (const auto& s : all) {
    const auto& t = s.transfer;
    std::string state(stateName(t.state));
    if (s.task && !s.task->waiting_for.empty() && t.state == TransferState::running)
      state += " (" + s.task->waiting_for + ")";
    std::cout << t.video_id << "  " << padded(std::string(roleName(t.role)), 9) << "  "
              << progressBar(t.bytes_done, t.bytes_total) << "  " << state << "  " << s.title << "\n";
    if (t.state == TransferState::failed)
      std::cout << "    " << t.error << (t.resume_data.empty() ? "" : " (resumable: `videofarm resume " + t.video_id + "`)")
                << "\n";
  }
  std::cout << library.size() << (library.size() == 1 ? " video" : " videos") << " in the library "
            << ctx.library().root().string() << "\n";
}

}  // namespace

int runStatus(Context& ctx, bool watch) {
  auto subscription = ctx.options().json ? Subscription() : printNotifications(ctx);
  auto transfers = ctx.transfers();
  if (!transfers) return report(transfers.error());
  if (!(*transfers)->waitForQueuedEvents(std::chrono::seconds(60)))
    std::cerr << "videofarm: not every queued event arrived within 60 s; the status may be behind\n";
  for (;;) {
    auto all = (*transfers)->status();
    if (!all) return report(all.error());
    auto library = ctx.state().library();
    if (!library) return report(library.error());
    if (ctx.options().json) std::cout << statusJson(*all, *library).dump() << std::endl;
    else printStatus(*all, *library, ctx);
    bool running = false, failed = false;
    for (const auto& s : *all) {
      running = running || s.transfer.state == TransferState::running;
      failed = failed || s.transfer.state == TransferState::failed;
    }
    if (!watch || !running) return failed ? kExitFailed : kExitOk;
    std::this_thread::sleep_for(std::chrono::seconds(2));
    if (!ctx.options().json) std::cout << "\n";
  }
}

int runHandleEvents(Context& ctx, int timeout_seconds) {
  auto subscription = printNotifications(ctx);
  auto transfers = ctx.transfers(std::chrono::seconds(timeout_seconds));
  if (!transfers) return report(transfers.error());
  if (!(*transfers)->waitForQueuedEvents(std::chrono::seconds(timeout_seconds)))
    return report(Error(errc::timeout, "not every queued event arrived within " + std::to_string(timeout_seconds) +
                                           " s; the rest waits in ferryd for the next attach"));
  std::cout << "handled " << (*transfers)->handledEvents() << " queued events of session "
            << (*transfers)->sessionIdentifier() << "\n";
  // ferryd's background refresh (FERRY_LAUNCH_REASON=refresh) also fetches the list: the videos
  // are kept in the state and ListRefreshed goes to the observers.
  const char* reason = std::getenv("FERRY_LAUNCH_REASON");
  if (reason && std::string_view(reason) == "refresh") {
    auto videos = ctx.api().listAll();
    if (!videos) return report(videos.error());
    for (const auto& v : *videos)
      if (auto saved = ctx.state().saveVideo(ctx.api().server(), v); !saved) return report(saved.error());
    ctx.hub()->publish(ListRefreshed{*videos});
  }
  return kExitOk;
}

}  // namespace videofarm::cli
