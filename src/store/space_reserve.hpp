#pragma once
// A few MiB held in a file beside the database and given back when the file system is nearly full,
// so that ferryd can still commit what it must when a download has filled the disk: a task's end
// and its didComplete("no-space"), a resume. SQLite cannot write into space held for it, but it can
// use space that a file has just freed; without this, the commit that records the failure fails
// too, and the application never hears why its download stopped.

#include <cstdint>
#include <filesystem>

namespace ferry::store {

class SpaceReserve {
 public:
  // `file`: on the database's file system. Freed below `low_water` free bytes; made again when
  // `size` + 2 × `low_water` are free.
  SpaceReserve(std::filesystem::path file, std::uint64_t size, std::uint64_t low_water);

  // Called by the writer before each batch. Never fails: a reserve that cannot be made now is
  // tried again at a later batch, one that cannot be removed is logged.
  void adjust();

  bool held() const { return held_; }

 private:
  bool make();

  std::filesystem::path file_;
  std::uint64_t size_;
  std::uint64_t low_water_;
  bool held_ = false;
};

}  // namespace ferry::store
