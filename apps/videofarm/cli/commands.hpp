#pragma once
// The videofarm subcommands. Each returns the process's exit code (exit_codes.hpp) and prints
// what it did to stdout, errors to stderr.

#include <optional>
#include <string>

#include "context.hpp"

namespace videofarm::cli {

struct AddArgs {
  std::string movie;
  std::string title;
  std::string description;
  std::optional<std::string> thumbnail;
};

// Catalogue (synchronous REST calls): commands_videos.cpp
int runList(Context& ctx);
int runAdd(Context& ctx, const AddArgs& args);
int runDelete(Context& ctx, const std::string& id);

// Background transfers: commands_transfers.cpp
int runDownload(Context& ctx, const std::string& id);
int runPause(Context& ctx, const std::string& id);
int runResume(Context& ctx, const std::string& id);

// The account: commands_account.cpp (the password is one line of standard input)
int runLogin(Context& ctx, const std::string& name);
int runLogout(Context& ctx);

// Attaching to the session: commands_events.cpp
int runStatus(Context& ctx, bool watch);
int runHandleEvents(Context& ctx, int timeout_seconds);

}  // namespace videofarm::cli
