// videofarm-server --listen 127.0.0.1:PORT --data-dir DIR [--database postgresql://...]
//                  [--blob-store rados://POOL?conf=PATH&id=CLIENT]
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <iostream>

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

}  // namespace

int main(int argc, char** argv) {
  try {
    vf::Config config = vf::parseCommandLine(argc, argv);
    std::filesystem::create_directories(config.data_dir);
    if (!config.create_user.empty()) {
      auto accounts = openAccounts(config);
      return createUser(*accounts, config.create_user);
    }
    auto blobs = openBlobs(config);  // first: a malformed --blob-store is refused before anything opens
    vf::App app(config, openCatalog(config), openAccounts(config), std::move(blobs));

    boost::asio::io_context ioc{1};
    auto address = boost::asio::ip::make_address(config.listen_host);
    auto listener = std::make_shared<vf::Listener>(ioc, boost::asio::ip::tcp::endpoint(address, config.listen_port), app);
    listener->run();
    auto endpoint = listener->localEndpoint();
    spdlog::info("videofarm-server listening on http://{}:{}/ (data in {}, catalogue {}, blobs in {})",
                 endpoint.address().to_string(), endpoint.port(), config.data_dir.string(),
                 config.database.empty() ? "SQLite" : "PostgreSQL", app.blobs->describe());

    vf::MediaWorker media(ioc.get_executor(), app);
    app.media = &media;

    vf::UploadJanitor janitor(ioc, app);
    janitor.start();

    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&ioc](boost::system::error_code, int sig) {
      spdlog::info("signal {}: stopping", sig);
      ioc.stop();
    });
    ::signal(SIGPIPE, SIG_IGN);  // sendfile on a closed socket must return EPIPE, not kill us
    ioc.run();
    app.blobs->drain();
    return 0;
  } catch (const std::exception& e) {
    spdlog::critical("videofarm-server cannot start: {}", e.what());
    return 1;
  }
}
