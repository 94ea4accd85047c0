// videofarm: the VideoFarm client's command line over libvideofarm. See docs/videofarm-client.md.

#include <CLI/CLI.hpp>

#include <iostream>

#include "commands.hpp"
#include "exit_codes.hpp"

int main(int argc, char** argv) {
  using namespace videofarm::cli;
  CLI::App app{"videofarm: your VideoFarm library; uploads and downloads run in the background through ferryd"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand
  app.set_version_flag("--version", VIDEOFARM_VERSION);
  Options options;
  std::string rate;
  app.add_option("--server", options.server, "the VideoFarm server (default: $VIDEOFARM_SERVER, else http://127.0.0.1:8080, what `make run` starts)");
  app.add_option("--data-dir", options.data_dir, "state and library (default: $XDG_DATA_HOME/videofarm)");
  app.add_option("--socket", options.socket, "ferryd's socket (default: $FERRY_SOCKET, else $XDG_RUNTIME_DIR/ferry/ferryd.sock)");
  app.add_option("--max-rate", rate, "limit each background transfer to this many bytes/s (K, M, G; 0: no limit); remembered");
  app.add_flag("--json", options.json, "machine-readable output (list, add, download, status)");
  app.add_option("--refresh", options.refresh_seconds,
                 "seconds between background refreshes of the list (ferryd relaunches `videofarm handle-events`; 0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 30 * 24 * 3600));
  // A later --server or --data-dir wins (a shell alias with defaults, then the one meant now).
  for (const char* name : {"--server", "--data-dir", "--socket", "--max-rate"})
    app.get_option(name)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  auto* list_cmd = app.add_subcommand("list", "the server's videos, newest first");

  AddArgs add;
  auto* add_cmd = app.add_subcommand("add", "create a video and upload its movie in the background (returns at once)");
  add_cmd->add_option("movie", add.movie, "the movie file (ferryd reads it: keep it until the upload ends)")->required();
  add_cmd->add_option("--title", add.title, "title (1-300 bytes)")->required();
  add_cmd->add_option("--description", add.description, "description");
  add_cmd->add_option("--thumbnail", add.thumbnail, "a PNG, JPEG, GIF or WebP image");

  std::string id;
  std::vector<CLI::App*> id_cmds;
  for (auto [name, help] : {std::pair{"download", "download a video's movie and thumbnail into the library, in the background"},
                            std::pair{"pause", "pause a video's transfers (downloads keep resume data)"},
                            std::pair{"resume", "resume a video's paused or failed transfers"},
                            std::pair{"delete", "delete a video from the server (and stop its transfers here)"}}) {
    auto* cmd = app.add_subcommand(name, help);
    cmd->add_option("id", id, "video id (see list)")->required();
    id_cmds.push_back(cmd);
  }
  std::string login_name;
  auto* login_cmd = app.add_subcommand("login", "log in to --server (password: one line on standard input); "
                                                "the token is kept 0600 in the data directory and sent by every command");
  login_cmd->add_option("--name", login_name, "your account's name")->required();
  auto* logout_cmd = app.add_subcommand("logout", "revoke the stored token on the server and forget it");
  bool watch = false;
  auto* status_cmd = app.add_subcommand("status", "attach, take queued events, show everything in flight");
  status_cmd->add_flag("--watch", watch, "refresh every 2 s until nothing is running");
  int timeout = 120;
  auto* events_cmd = app.add_subcommand(
      "handle-events", "attach, take the queued events (finished files go into the library), update the state, exit");
  events_cmd->add_option("--timeout", timeout, "seconds to wait for the session and its queued events")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (app.count("--max-rate") > 0) options.max_rate = rate;
  auto ctx = Context::open(options);
  if (!ctx) return report(ctx.error());
  Context& c = **ctx;
  if (list_cmd->parsed()) return runList(c);
  if (add_cmd->parsed()) return runAdd(c, add);
  if (id_cmds[0]->parsed()) return runDownload(c, id);
  if (id_cmds[1]->parsed()) return runPause(c, id);
  if (id_cmds[2]->parsed()) return runResume(c, id);
  if (id_cmds[3]->parsed()) return runDelete(c, id);
  if (status_cmd->parsed()) return runStatus(c, watch);
  if (login_cmd->parsed()) return runLogin(c, login_name);
  if (logout_cmd->parsed()) return runLogout(c);
  if (events_cmd->parsed()) return runHandleEvents(c, timeout);
  return kExitUsage;
}
