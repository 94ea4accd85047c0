#pragma once
// What every connection shares: settings, the catalogue and the blob store. Used on the one I/O
// thread (the media worker reads blobs from its own).

#include <atomic>
#include <memory>
#include <map>
#include <string>

#include "account_catalog.hpp"
#include "catalogue_cache.hpp"
#include "config.hpp"
#include "login_limiter.hpp"
#include "running_appends.hpp"
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
  // What the server's I/O threads share (main.cpp runs one App per thread, each with its own
  // catalogue connection, like instances on one catalogue): the login brake counts every thread's
  // failures, the connection limit every thread's connections.
  std::shared_ptr<LoginLimiter> login_limiter;
  std::shared_ptr<std::atomic<std::size_t>> connections = std::make_shared<std::atomic<std::size_t>>(0);
  // Resumable uploads with a request appending right now, on any I/O thread (one appender at a
  // time per upload); entries are added and removed by UploadAppender itself.
  std::shared_ptr<RunningAppends> appenders = std::make_shared<RunningAppends>();
  // Runs this App's I/O thread's work (main.cpp); empty where no thread runs it (unit tests).
  boost::asio::any_io_executor io;
  // Makes thumbnails and reads media facts off the I/O thread; set by main (none in a unit test).
  MediaWorker* media = nullptr;
  // Rendered list pages and videos, valid while the catalogue's generation holds.
  CatalogueCache catalogue_cache;

  App(Config c, std::unique_ptr<VideoCatalog> cat, std::unique_ptr<AccountCatalog> acc, std::unique_ptr<BlobStore> b)
      : config(std::move(c)),
        catalog(std::move(cat)),
        accounts(std::move(acc)),
        blobs(std::move(b)),
        login_limiter(std::make_shared<LoginLimiter>(config.login_max_failures, config.login_lockout)) {}
};

}  // namespace vf
