#pragma once
// The library folder: where finished downloads are put, one folder per video. A file ferryd has
// finished is first taken into the video's folder under a hidden name (inside the delegate
// callback, before ferryd removes it), and only named as the movie or thumbnail once the task
// completed with success; every step is libferry's ferry::moveFileDurably (a rename and an fsync of
// the directory, or a copy + fdatasync first when ferryd's state is on another file system). Each step can be repeated
// after a crash (the event comes again) and finds its work already done.

#include <filesystem>
#include <string>

#include "videofarm/model.hpp"

namespace videofarm {

// A video's folder in the library: the user's files, readable by others as their home allows.
inline constexpr auto kVideoDirMode = std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                      std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                      std::filesystem::perms::others_exec;

class LibraryFolder {
 public:
  explicit LibraryFolder(std::filesystem::path root) : root_(std::move(root)) {}
  const std::filesystem::path& root() const { return root_; }

  std::filesystem::path videoDir(const std::string& video_id) const { return root_ / video_id; }
  // ".incoming-movie": a finished file whose task has not completed yet.
  std::filesystem::path incoming(const std::string& video_id, Role role) const;
  // "movie.mp4" (extension from the content type), "thumbnail".
  std::filesystem::path finalPath(const RemoteVideo& video, Role role) const;

  // Moves ferryd's finished file to incoming(...). `from` missing but incoming present: done before.
  Result<std::filesystem::path> takeIn(const std::filesystem::path& from, const std::string& video_id, Role role) const;
  // incoming(...) → finalPath(...). Missing incoming but final present: done before.
  Result<std::filesystem::path> place(const RemoteVideo& video, Role role) const;
  // A failed download's taken-in file goes.
  void discard(const std::string& video_id, Role role) const;

 private:
  std::filesystem::path root_;
};

}  // namespace videofarm
