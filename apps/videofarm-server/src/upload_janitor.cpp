#include "upload_janitor.hpp"

#include <spdlog/spdlog.h>

#include "upload_appender.hpp"

namespace vf {

void UploadJanitor::start() {
  sweep();
  schedule();
}

void UploadJanitor::schedule() {
  timer_.expires_after(app_.config.upload_sweep);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    sweep();
    schedule();
  });
}

std::size_t UploadJanitor::sweep() {
  const std::size_t removed = removeExpiredUploads(app_);
  if (removed) spdlog::info("removed {} expired uploads", removed);
  return removed;
}

}  // namespace vf
