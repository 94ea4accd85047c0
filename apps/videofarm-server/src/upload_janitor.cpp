#include "upload_janitor.hpp"

#include <spdlog/spdlog.h>

namespace vf {

void UploadJanitor::start() {
  sweep();
  schedule();
}

void UploadJanitor::schedule() {
  timer_.expires_after(std::chrono::seconds(60));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    sweep();
    schedule();
  });
}

std::size_t UploadJanitor::sweep() {
  auto expired = app_.catalog->expiredUploads(nowMs());
  if (!expired) {
    spdlog::warn("upload expiry: {}", expired.error().describe());
    return 0;
  }
  std::size_t removed = 0;
  for (const auto& upload : *expired) {
    if (app_.appenders.count(upload.token)) continue;  // still being appended to
    if (app_.catalog->removeUpload(upload.token)) {
      std::error_code ec;
      std::filesystem::remove(app_.storage.uploadPath(upload.token), ec);
      ++removed;
    }
  }
  if (removed) spdlog::info("removed {} expired uploads", removed);
  return removed;
}

}  // namespace vf
