#pragma once
// What every videofarm subcommand gets: the global options, and the parts of libvideofarm opened
// from them (state, library folder, API client, notifications), plus attaching to the session.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "videofarm/api_client.hpp"
#include "videofarm/background_transfers.hpp"
#include "videofarm/data_dir.hpp"
#include "videofarm/events.hpp"
#include "videofarm/state_store.hpp"

namespace videofarm::cli {

struct Options {
  std::string server;                   // --server, else $VIDEOFARM_SERVER, else http://127.0.0.1:8080
  std::filesystem::path data_dir;       // --data-dir, else $XDG_DATA_HOME/videofarm
  std::filesystem::path socket;         // --socket, else libferry's default
  std::optional<std::string> max_rate;  // --max-rate (remembered in the state)
  std::uint64_t refresh_seconds = 3600;  // --refresh: ferryd relaunches handle-events to refresh the list
  bool json = false;
};

class Context {
 public:
  static Result<std::unique_ptr<Context>> open(Options options);

  const Options& options() const { return options_; }
  const DataDir& dataDir() const { return data_dir_; }
  StateStore& state() { return *state_; }
  const ApiClient& api() const { return api_; }
  ApiClient& api() { return api_; }
  std::shared_ptr<EventHub> hub() { return hub_; }
  LibraryFolder library() const { return LibraryFolder(data_dir_.libraryDir()); }

  // Attaches to the background session (queued events start arriving at once).
  Result<BackgroundTransfers*> transfers(std::chrono::milliseconds patience = std::chrono::seconds(5));

 private:
  Context(Options options, std::unique_ptr<StateStore> state);
  Options options_;
  DataDir data_dir_;
  std::unique_ptr<StateStore> state_;
  ApiClient api_;
  std::shared_ptr<EventHub> hub_ = std::make_shared<EventHub>();
  std::unique_ptr<BackgroundTransfers> transfers_;
};

// "4M" → 4194304; plain bytes, or K/M/G (powers of 1024).
Result<std::uint64_t> parseRate(const std::string& text);

}  // namespace videofarm::cli
