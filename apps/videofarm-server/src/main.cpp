// videofarm-server --listen 127.0.0.1:PORT --data-dir DIR [--database postgresql://...]
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "app.hpp"
#include "config.hpp"
#include "listener.hpp"
#include "upload_janitor.hpp"

namespace {

std::unique_ptr<vf::VideoCatalog> openCatalog(const vf::Config& config) {
  auto catalog = config.database.empty()
                     ? vf::openSqliteCatalog((config.data_dir / "catalog.sqlite3").string())
                     : vf::openPostgresCatalog(config.database);
  if (!catalog) throw std::runtime_error(catalog.error().describe());
  return std::move(*catalog);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    vf::Config config = vf::parseCommandLine(argc, argv);
    std::filesystem::create_directories(config.data_dir);
    vf::App app(config, openCatalog(config));

    boost::asio::io_context ioc{1};
    auto address = boost::asio::ip::make_address(config.listen_host);
    auto listener = std::make_shared<vf::Listener>(ioc, boost::asio::ip::tcp::endpoint(address, config.listen_port), app);
    listener->run();
    auto endpoint = listener->localEndpoint();
    spdlog::info("videofarm-server listening on http://{}:{}/ (data in {}, catalogue {})", endpoint.address().to_string(),
                 endpoint.port(), config.data_dir.string(), config.database.empty() ? "SQLite" : "PostgreSQL");

    vf::UploadJanitor janitor(ioc, app);
    janitor.start();

    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&ioc](boost::system::error_code, int sig) {
      spdlog::info("signal {}: stopping", sig);
      ioc.stop();
    });
    ::signal(SIGPIPE, SIG_IGN);  // sendfile on a closed socket must return EPIPE, not kill us
    ioc.run();
    return 0;
  } catch (const std::exception& e) {
    spdlog::critical("videofarm-server cannot start: {}", e.what());
    return 1;
  }
}
