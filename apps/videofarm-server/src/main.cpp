// videofarm-server --listen 127.0.0.1:PORT --data-dir DIR [--database postgresql://...]
//                  [--blob-store rados://POOL?conf=PATH&id=CLIENT]
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>
#include <thread>
#include <vector>

#include "account_handlers.hpp"
#include "app.hpp"
#include "config.hpp"
#include "listener.hpp"
#include "media_worker.hpp"
#include "upload_janitor.hpp"

namespace {

std::unique_ptr<vf::VideoCatalog> openCatalog(const vf::Config& config) {
  auto catalog = config.database.empty()
                     ? vf::openSqliteCatalog((config.data_dir / "catalog.sqlite3").string())
                     : vf::openPostgresCatalog(config.database);
  if (!catalog) throw std::runtime_error(catalog.error().describe());
  return std::move(*catalog);
}

std::unique_ptr<vf::BlobStore> openBlobs(const vf::Config& config) {
  auto blobs = vf::openBlobStore(config.blob_store, config.data_dir.string());
  if (!blobs) throw std::runtime_error(blobs.error().message);
  return std::move(*blobs);
}

std::unique_ptr<vf::AccountCatalog> openAccounts(const vf::Config& config) {
  auto accounts = config.database.empty() ? vf::openSqliteAccounts((config.data_dir / "catalog.sqlite3").string())
                                          : vf::openPostgresAccounts(config.database);
  if (!accounts) throw std::runtime_error(accounts.error().describe());
  return std::move(*accounts);
}

// --create-user NAME: the password is one line of standard input, so it is never in the
// process list or a shell's history.
int createUser(vf::AccountCatalog& accounts, const std::string& name) {
  std::string password;
  if (!std::getline(std::cin, password)) {
    spdlog::critical("--create-user: give the password as one line on standard input");
    return 2;
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (auto r = vf::createFirstUser(accounts, name, password); !r) {
    spdlog::critical("--create-user {}: {}", name, r.error().message);
    return 1;
  }
  spdlog::info("created administrator \"{}\"", name);
  return 0;
}

// One I/O thread of the server: an App of its own (catalogue connection, blob store, caches),
// a listening socket on the shared port and a media worker. The threads share nothing but the
// catalogue (each is like an instance on it) and App's shared pieces (the login brake, the
// connection count); the kernel spreads connections among their sockets (SO_REUSEPORT).
struct IoThread {
  IoThread(const vf::Config& config, const boost::asio::ip::tcp::endpoint& endpoint, const IoThread* first)
      : app(config, openCatalog(config), openAccounts(config), openBlobs(config)) {
    if (first) {
      app.login_limiter = first->app.login_limiter;
      app.connections = first->app.connections;
      app.appenders = first->app.appenders;
    }
    app.io = ioc.get_executor();
    listener = std::make_shared<vf::Listener>(ioc, endpoint, app);
    listener->run();
    media = std::make_unique<vf::MediaWorker>(ioc.get_executor(), app);
    app.media = media.get();
  }

  vf::App app;
  // After the App: destroyed first, with the sessions its pending handlers hold, which use the App.
  boost::asio::io_context ioc{1};
  std::shared_ptr<vf::Listener> listener;
  std::unique_ptr<vf::MediaWorker> media;
};

unsigned ioThreadCount(const vf::Config& config) {
  if (config.io_threads > 0) return config.io_threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

int main(int argc, char** argv) {
  try {
    vf::Config config = vf::parseCommandLine(argc, argv);
    std::filesystem::create_directories(config.data_dir);
    if (!config.create_user.empty()) {
      auto accounts = openAccounts(config);
      return createUser(*accounts, config.create_user);
    }
    (void)openBlobs(config);  // first: a malformed --blob-store is refused before anything opens

    // The first thread binds the port (maybe a free one, for port 0); the others join it.
    std::vector<std::unique_ptr<IoThread>> threads;
    boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address(config.listen_host), config.listen_port);
    threads.push_back(std::make_unique<IoThread>(config, endpoint, nullptr));
    endpoint = threads.front()->listener->localEndpoint();
    for (unsigned i = 1; i < ioThreadCount(config); ++i)
      threads.push_back(std::make_unique<IoThread>(config, endpoint, threads.front().get()));
    auto& first = *threads.front();
    spdlog::info("videofarm-server listening on http://{}:{}/ (data in {}, catalogue {}, blobs in {}, {} I/O threads)",
                 endpoint.address().to_string(), endpoint.port(), config.data_dir.string(),
                 config.database.empty() ? "SQLite" : "PostgreSQL", first.app.blobs->describe(), threads.size());

    // Expiry of abandoned uploads: one sweeper per process (the catalogue's lock makes it one
    // across instances too).
    vf::UploadJanitor janitor(first.ioc, first.app);
    janitor.start();

    boost::asio::signal_set signals(first.ioc, SIGINT, SIGTERM);
    signals.async_wait([&threads](boost::system::error_code, int sig) {
      spdlog::info("signal {}: stopping", sig);
      for (auto& t : threads) t->ioc.stop();
    });
    ::signal(SIGPIPE, SIG_IGN);  // sendfile on a closed socket must return EPIPE, not kill us
    std::vector<std::thread> running;
    for (std::size_t i = 1; i < threads.size(); ++i) running.emplace_back([&t = *threads[i]] { t.ioc.run(); });
    first.ioc.run();
    for (auto& t : running) t.join();
    for (auto& t : threads) t->app.blobs->drain();
    return 0;
  } catch (const std::exception& e) {
    spdlog::critical("videofarm-server cannot start: {}", e.what());
    return 1;
  }
}
