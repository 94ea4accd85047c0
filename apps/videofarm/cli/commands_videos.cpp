// list, add, delete: the catalogue calls, and add's hand-over of the movie to ferryd.
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "format.hpp"

namespace videofarm::cli {

int runList(Context& ctx) {
  auto videos = ctx.api().listAll();
  if (!videos) return report(videos.error());
  ctx.hub()->publish(ListRefreshed{*videos});
  auto library = ctx.state().library();
  if (!library) return report(library.error());
  if (ctx.options().json) {
    auto out = nlohmann::json::array();
    for (const auto& v : *videos) out.push_back(toJson(v));
    std::cout << out.dump() << "\n";
    return kExitOk;
  }
  if (videos->empty()) {
    std::cout << "no videos on " << ctx.api().server() << " yet; add one with `videofarm add MOVIE --title TITLE`\n";
    return kExitOk;
  }
  for (const auto& v : *videos) {
    std::string here;
    for (const auto& e : *library)
      if (e.video_id == v.id) here = "  [in library]";
    std::cout << v.id << "  " << padded(v.movie ? humanBytes(v.movie->size) : "-", 9) << "  "
              << padded(v.upload_state, 9) << "  " << v.title << here << "\n";
  }
  return kExitOk;
}

int runAdd(Context& ctx, const AddArgs& args) {
  Video video{args.title, args.description, args.movie, std::nullopt};
  if (args.thumbnail) video.thumbnail = std::filesystem::path(*args.thumbnail);
  if (auto valid = validate(video); !valid) return report(valid.error());
  // Everything local is checked before the server is asked to make anything.
  auto size = checkMovieReadable(video.movie);
  if (!size) return report(size.error());
  if (video.thumbnail) {
    if (auto thumb = checkMovieReadable(*video.thumbnail); !thumb)
      return report(Error(errc::invalid_argument, "the thumbnail: " + thumb.error().message));
  }
  auto transfers = ctx.transfers();
  if (!transfers) return report(transfers.error());
  auto remote = ctx.api().prepare(video);
  if (!remote) return report(remote.error());
  auto upload = (*transfers)->upload(ctx.api(), *remote, video.movie);
  if (!upload) {
    // Nothing half-made stays on the server: the video without its movie goes again.
    auto removed = ctx.api().remove(remote->id);
    std::cerr << "videofarm: the upload could not be handed to ferryd; video " << remote->id
              << (removed ? " was removed from the server again" : " stays on the server without a movie") << "\n";
    return report(upload.error());
  }
  if (ctx.options().json) {
    std::cout << nlohmann::json{{"id", remote->id}, {"task", upload->movie.task.value_or(0)}, {"bytes", *size}}.dump() << "\n";
    return kExitOk;
  }
  std::cout << "added " << remote->id << " \"" << remote->title << "\": uploading " << humanBytes(*size)
            << " in the background; `videofarm status` shows progress\n";
  return kExitOk;
}

int runDelete(Context& ctx, const std::string& id) {
  auto removed = ctx.api().remove(id);
  if (!removed && !removed.error().is(errc::not_found)) return report(removed.error());
  auto transfers = ctx.state().transfersOf(id);
  if (!transfers) return report(transfers.error());
  bool unfinished = false;
  for (const auto& t : *transfers) unfinished = unfinished || t.state != TransferState::finished;
  if (unfinished) {
    auto session = ctx.transfers();
    if (!session) return report(session.error());
    if (auto cancelled = (*session)->cancel(id); !cancelled) return report(cancelled.error());
    std::cout << "stopped the transfers of " << id << " here\n";
  } else if (!transfers->empty()) {
    if (auto forgot = ctx.state().forgetVideo(id); !forgot) return report(forgot.error());
  }
  if (auto entry = ctx.state().libraryEntry(id); entry && *entry)
    std::cout << "its copy in the library stays: " << (*entry)->movie.string() << "\n";
  if (!removed) return report(removed.error());
  std::cout << "deleted " << id << " from " << ctx.api().server() << "\n";
  return kExitOk;
}

}  // namespace videofarm::cli
