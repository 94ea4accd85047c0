// PostgreSQL catalogue (not written yet): --database postgresql://... fails clearly at start-up.
#include "video_catalog.hpp"

namespace vf {

ferry::Result<std::unique_ptr<VideoCatalog>> openPostgresCatalog(const std::string& conninfo) {
  (void)conninfo;
  return ferry::fail(ferry::errc::invalid_argument,
                     "this build has no PostgreSQL back end yet; leave out --database to use SQLite");
}

}  // namespace vf
