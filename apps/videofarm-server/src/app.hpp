#pragma once
// What every connection shares: settings, the catalogue and the files. Used on the one I/O thread.

#include <memory>
#include <map>
#include <string>

#include "account_catalog.hpp"
#include "config.hpp"
#include "login_limiter.hpp"
#include "storage.hpp"
#include "video_catalog.hpp"

namespace vf {

class UploadAppender;
class MediaWorker;

struct App {
  Config config;
  std::unique_ptr<VideoCatalog> catalog;
  std::unique_ptr<AccountCatalog> accounts;
  Storage storage;
  LoginLimiter login_limiter;
  std::size_t connections = 0;
  // Resumable uploads with a request appending right now (one appender at a time per upload);
  // entries are added and removed by UploadAppender itself.
  std::map<std::string, UploadAppender*> appenders;
  // Makes thumbnails and reads media facts off the I/O thread; set by main (none in a unit test).
  MediaWorker* media = nullptr;

  App(Config c, std::unique_ptr<VideoCatalog> cat, std::unique_ptr<AccountCatalog> acc)
      : config(std::move(c)),
        catalog(std::move(cat)),
        accounts(std::move(acc)),
        storage(config.data_dir),
        login_limiter(config.login_max_failures, config.login_lockout) {}
};

}  // namespace vf
