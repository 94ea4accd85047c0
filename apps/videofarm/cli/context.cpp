#include "context.hpp"

#include <cstdlib>

#include "videofarm/credentials_file.hpp"

namespace videofarm::cli {

namespace {
constexpr const char* kRateSetting = "max_bytes_per_second";
}

Result<std::uint64_t> parseRate(const std::string& text) {
  std::size_t used = 0;
  std::uint64_t value = 0;
  try {
    value = std::stoull(text, &used);
  } catch (const std::exception&) {
    return fail(errc::invalid_argument, "--max-rate '" + text + "' is not a number of bytes per second (e.g. 4M)");
  }
  std::string suffix = text.substr(used);
  std::uint64_t unit = 1;
  if (suffix == "K" || suffix == "k") unit = 1024;
  else if (suffix == "M" || suffix == "m") unit = 1024 * 1024;
  else if (suffix == "G" || suffix == "g") unit = 1024ull * 1024 * 1024;
  else if (!suffix.empty())
    return fail(errc::invalid_argument, "--max-rate '" + text + "': the unit must be K, M or G (powers of 1024)");
  return value * unit;
}

Context::Context(Options options, std::unique_ptr<StateStore> state)
    : options_(std::move(options)), data_dir_{options_.data_dir}, state_(std::move(state)), api_(options_.server) {
  api_.setToken(loadToken(data_dir_, api_.server()));
}

Result<std::unique_ptr<Context>> Context::open(Options options) {
  if (options.server.empty()) {
    const char* env = std::getenv("VIDEOFARM_SERVER");
    options.server = env && *env ? env : "http://127.0.0.1:8080";
  }
  if (options.server.rfind("http://", 0) != 0 && options.server.rfind("https://", 0) != 0)
    return fail(errc::invalid_argument, "--server '" + options.server + "' must be an http:// or https:// URL");
  if (options.data_dir.empty()) options.data_dir = defaultDataDir();
  std::error_code ec;
  auto absolute = std::filesystem::absolute(options.data_dir, ec);
  if (!ec) options.data_dir = absolute.lexically_normal();
  DataDir dir{options.data_dir};
  auto state = StateStore::open(dir.stateFile());
  if (!state) return tl::unexpected(state.error());
  if (options.max_rate) {
    auto rate = parseRate(*options.max_rate);
    if (!rate) return tl::unexpected(rate.error());
    if (auto saved = (*state)->setSetting(kRateSetting, std::to_string(*rate)); !saved) return tl::unexpected(saved.error());
  }
  return std::unique_ptr<Context>(new Context(std::move(options), std::move(*state)));
}

Result<BackgroundTransfers*> Context::transfers(std::chrono::milliseconds patience) {
  if (transfers_) return transfers_.get();
  TransferOptions options;
  options.socket = options_.socket;
  options.attach_patience = patience;
  auto rate = state_->setting(kRateSetting);
  if (!rate) return tl::unexpected(rate.error());
  if (*rate) options.max_bytes_per_second = std::strtoull((*rate)->c_str(), nullptr, 10);
  // Relaunch: ferryd runs this very program to take events that arrive while no videofarm runs.
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    options.launch_argv = {self.string(), "handle-events", "--data-dir", data_dir_.root.string(), "--server", options_.server};
    options.launch_directory = data_dir_.root.string();
    options.launch_environment = {"HOME", "PATH", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"};
    options.refresh_interval = std::chrono::seconds(options_.refresh_seconds);
  }
  auto attached = BackgroundTransfers::attach(*state_, hub_, library(), options);
  if (!attached) return tl::unexpected(attached.error());
  transfers_ = std::move(*attached);
  transfers_->setAuthorization(api_.authorization());
  return transfers_.get();
}

}  // namespace videofarm::cli
