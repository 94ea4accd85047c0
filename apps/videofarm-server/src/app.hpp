#pragma once
// What every connection shares: settings, the catalogue and the blob store. Used on the one I/O
// thread (the media worker reads blobs from its own).

#include <memory>
#include <map>
#include <string>

#include "account_catalog.hpp"
#include "config.hpp"
#include "login_limiter.hpp"
#include "blob_store.hpp"
#include "video_catalog.hpp"

namespace vf {

class UploadAppender;
class MediaWorker;

struct App {
  Config config;
  std::unique_ptr<VideoCatalog> catalog;
  std::unique_ptr<AccountCatalog> accounts;
  std::unique_ptr<BlobStore> blobs;  // movies, thumbnails, uploads in progress
  LoginLimiter login_limiter;
  std::size_t connections = 0;
  // Resumable uploads with a request appending right now (one appender at a time per upload);
  // entries are added and removed by UploadAppender itself.
  std::map<std::string, UploadAppender*> appenders;
  // Makes thumbnails and reads media facts off the I/O thread; set by main (none in a unit test).
  MediaWorker* media = nullptr;

  App(Config c, std::unique_ptr<VideoCatalog> cat, std::unique_ptr<AccountCatalog> acc, std::unique_ptr<BlobStore> b)
      : config(std::move(c)),
        catalog(std::move(cat)),
        accounts(std::move(acc)),
        blobs(std::move(b)),
        login_limiter(config.login_max_failures, config.login_lockout) {}
};

}  // namespace vf
