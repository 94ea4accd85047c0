#include "common/writeback.hpp"

#include <fcntl.h>

namespace ferry::files {

bool WritebackStarter::wrote(int fd, std::uint64_t end) {
  if (end < from_) from_ = 0;  // cut back without being told: start over, clean pages cost nothing
  if (end - from_ < chunk_) return false;
  // A failure changes nothing (a hint, see the header), so it is not reported.
  (void)::sync_file_range(fd, static_cast<off_t>(from_), static_cast<off_t>(end - from_), SYNC_FILE_RANGE_WRITE);
  from_ = end;
  return true;
}

}  // namespace ferry::files
