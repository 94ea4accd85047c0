// download, pause, resume: a video's background transfers.
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "format.hpp"

namespace videofarm::cli {

namespace {

Result<void> checkId(const std::string& id) {
  if (isVideoId(id)) return {};
  return fail(errc::invalid_argument, "'" + id + "' is not a video id (16 hex digits, see `videofarm list`)");
}

void printTransfers(const std::string& verb, const std::vector<Transfer>& transfers) {
  for (const auto& t : transfers)
    std::cout << verb << " " << t.video_id << " " << roleName(t.role) << " at "
              << progressBar(t.bytes_done, t.bytes_total, 20) << "\n";
}

}  // namespace

int runDownload(Context& ctx, const std::string& id) {
  if (auto valid = checkId(id); !valid) return report(valid.error());
  if (auto entry = ctx.state().libraryEntry(id); !entry) return report(entry.error());
  else if (*entry) {
    std::cout << id << " is already in the library: " << (*entry)->movie.string() << "\n";
    return kExitOk;
  }
  auto video = ctx.api().get(id);
  if (!video) return report(video.error());
  auto transfers = ctx.transfers();
  if (!transfers) return report(transfers.error());
  auto download = (*transfers)->download(ctx.api(), *video);
  if (!download) return report(download.error());
  if (ctx.options().json) {
    std::cout << nlohmann::json{{"id", id}, {"movie_task", download->movie.task.value_or(0)},
                                {"thumbnail_task", download->thumbnail ? download->thumbnail->task.value_or(0) : 0}}
                     .dump()
              << "\n";
    return kExitOk;
  }
  std::cout << "downloading " << id << " \"" << video->title << "\" (" << humanBytes(video->movie->size)
            << (download->thumbnail ? " and its thumbnail" : "") << ") in the background into "
            << ctx.library().videoDir(id).string() << "\n";
  return kExitOk;
}

int runPause(Context& ctx, const std::string& id) {
  if (auto valid = checkId(id); !valid) return report(valid.error());
  auto transfers = ctx.transfers();
  if (!transfers) return report(transfers.error());
  // Events that were waiting (a task that finished meanwhile) are recorded before deciding.
  (*transfers)->waitForQueuedEvents(std::chrono::seconds(30));
  auto paused = (*transfers)->pause(id);
  if (!paused) return report(paused.error());
  printTransfers("paused", *paused);
  return kExitOk;
}

int runResume(Context& ctx, const std::string& id) {
  if (auto valid = checkId(id); !valid) return report(valid.error());
  auto transfers = ctx.transfers();
  if (!transfers) return report(transfers.error());
  (*transfers)->waitForQueuedEvents(std::chrono::seconds(30));
  auto resumed = (*transfers)->resume(id);
  if (!resumed) return report(resumed.error());
  printTransfers("resumed", *resumed);
  return kExitOk;
}

}  // namespace videofarm::cli
