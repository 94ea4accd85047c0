// ferryctl: the command line over libferry. See docs/ferryctl.md.

#include <CLI/CLI.hpp>

#include "commands.hpp"

int main(int argc, char** argv) {
  using namespace ferry::cli;
  CLI::App app{"ferryctl: hand downloads to ferryd and watch them"};
  app.require_subcommand(1);
  Context ctx;
  std::string socket;
  app.add_option("--socket", socket, "ferryd's socket (default: $FERRY_SOCKET or $XDG_RUNTIME_DIR/ferry/ferryd.sock)");
  app.add_flag("--json", ctx.json, "machine-readable output");
  app.fallthrough();  // --json and --socket may also follow the subcommand
  app.set_version_flag("--version", FERRY_VERSION);

  DownloadArgs dl;
  auto* download_cmd = app.add_subcommand("download", "download URL (waits until the file is in place, unless --detach)");
  download_cmd->add_option("url", dl.url, "http:// or https:// URL");
  download_cmd->add_option("-o,--output", dl.output, "where to put the file (default: the URL's name, here)");
  download_cmd->add_option("-i,--input-file", dl.input_file,
                           "download every line of FILE, \"URL [-o OUTPUT]\" (like aria2c -i; - for standard input)");
  download_cmd->add_option("--group", dl.group,
                           "with -i: fetch the list's files as one download group NAME, all or nothing (no file is put in "
                           "place until every one is downloaded); every line needs its own OUTPUT");
  download_cmd->add_option("--parallel", ctx.parallel, "transfers at once in the session (and to one host); default: the session's")
      ->check(CLI::Range(1, 1000));
  download_cmd->add_option("-H,--header", dl.headers, "extra request header \"Name: value\" (repeatable)");
  download_cmd->add_option("--resume-data", dl.resume_data_file, "continue from resume data in FILE (- for stdin)");
  download_cmd->add_option("--description", dl.description, "a label shown by list");
  download_cmd->add_option("--checksum", dl.checksum,
                           "the file's digest, sha-256=HEX or sha-512=HEX (or RFC 9530 sha-256=:BASE64:): checked before the file is put in place");
  download_cmd->add_option("-x,--connections", dl.connections,
                           "at most N connections at once, each a byte range (as aria2c -x): 1 (default) to 16; one when "
                           "the server does not serve ranges with an ETag or Last-Modified");
  download_cmd->add_option("--mirror", dl.mirrors,
                           "another URL of the same file (repeatable, at most 8; aria2c's extra URIs): byte ranges come from "
                           "every URL, at least one connection each; a mirror that fails or serves another file is dropped");
  download_cmd->add_flag("--detach", dl.detach, "print the task id and return at once; `ferryctl wait` collects it");
  download_cmd->add_flag("--in-process", dl.in_process, "download in ferryctl itself (a default session): no ferryd, nothing survives ferryctl");
  download_cmd->add_option("--session", ctx.session, "background session identifier (default: ferryctl)");
  auto addScheduling = [](CLI::App* cmd, SchedulingArgs& s) {
    cmd->add_option("--priority", s.priority, "0.0 (lowest) .. 1.0 (highest), or low/default/high: order among waiting tasks");
    cmd->add_flag("--discretionary", s.discretionary, "run only while no other (non-discretionary) task runs");
    cmd->add_option("--begin-at", s.begin_at, "do not start before this time: seconds since the epoch (date +%s), or +SECONDS");
    cmd->add_flag("--no-metered", s.no_metered,
                  "never over a metered network: wait (and pause mid-transfer) until the network is unmetered");
    cmd->add_flag("--requires-power", s.requires_power, "wait while the machine is on battery or in power-saver mode");
  };
  addScheduling(download_cmd, dl.scheduling);
  auto addTransport = [](CLI::App* cmd, TransportArgs& t) {
    cmd->add_option("--ca-file", t.ca_file, "PEM file of the CAs to trust instead of the system's (a private CA)");
    cmd->add_option("--cert", t.cert, "PEM client certificate, for servers that require one");
    cmd->add_option("--key", t.key, "PEM private key of --cert (default: in the --cert file)");
    cmd->add_option("--proxy", t.proxy, "proxy URL (http://, https://, socks5h://...), or direct for none (default: $http_proxy & co.)");
  };
  addTransport(download_cmd, ctx.transport);

  GetArgs get_args;
  auto* get_cmd = app.add_subcommand("get", "fetch URL in ferryctl itself (no ferryd) and write the body to standard output");
  get_cmd->add_option("url", get_args.url, "http:// or https:// URL")->required();
  get_cmd->add_option("-H,--header", get_args.headers, "extra request header \"Name: value\" (repeatable)");
  get_cmd->add_flag("-i,--include", get_args.include, "print the status and headers first");
  get_cmd->add_flag("-f,--fail", get_args.fail, "an HTTP error status (>= 400) exits 1 and prints no body");

  UploadArgs up;
  auto* upload_cmd = app.add_subcommand("upload", "upload FILE to URL (waits for the server's answer, unless --detach)");
  upload_cmd->add_option("file", up.file, "the file to send (ferryd reads it; do not change it meanwhile), or - for standard input (streamed)");
  upload_cmd->add_option("url", up.url, "http:// or https:// URL");
  upload_cmd->add_option("--resume-data", up.resume_data_file, "continue a cancelled resumable upload from resume data in FILE (- for stdin)");
  upload_cmd->add_option("--redirects", up.redirects, "follow (default) or refuse (a 3xx is the answer)")
      ->check(CLI::IsMember({"follow", "refuse"}));
  upload_cmd->add_option("-X,--method", up.method, "PUT (default), POST, PATCH, ...");
  upload_cmd->add_option("-H,--header", up.headers, "extra request header \"Name: value\" (repeatable)");
  upload_cmd->add_option("--resumable", up.resumable, "ietf (default: offer the IETF resumable upload draft), tus, none")
      ->check(CLI::IsMember({"ietf", "tus", "none"}));
  upload_cmd->add_option("--description", up.description, "a label shown by list");
  upload_cmd->add_flag("--detach", up.detach, "print the task id and return at once; `ferryctl wait` collects it");
  upload_cmd->add_option("--session", ctx.session, "background session identifier (default: ferryctl)");
  addScheduling(upload_cmd, up.scheduling);
  addTransport(upload_cmd, ctx.transport);

  auto* wait_cmd = app.add_subcommand("wait", "attach, take the queued events, wait for the session's tasks; non-zero if any failed");
  wait_cmd->add_option("--session", ctx.session, "background session identifier (default: ferryctl)");

  bool all_sessions = true;
  std::string list_session;
  bool groups_only = false;
  auto* list_cmd = app.add_subcommand("list", "list download groups, then tasks with state, why they wait, and bytes");
  list_cmd->add_option("--session", list_session, "only this session's tasks and groups (default: all)");
  list_cmd->add_flag("--groups", groups_only, "only the download groups (with --json: an array of groups)");

  auto* watch_cmd = app.add_subcommand("watch", "live progress bars for every task (Ctrl-C to stop)");

  std::string events_session;
  auto* events_cmd = app.add_subcommand(
      "events", "print a session's events as they happen, its undelivered ones first (Ctrl-C to stop)");
  events_cmd->add_option("session", events_session, "session identifier (see ferryctl status)")->required();

  std::uint64_t task = 0;
  std::string verb;
  std::vector<CLI::App*> task_cmds;
  for (const char* name : {"suspend", "resume", "cancel"}) {
    auto* cmd = app.add_subcommand(name, std::string(name) + " a task or a download group");
    cmd->add_option("task", task, "task or group id (from list)")->required();
    task_cmds.push_back(cmd);
  }
  auto* resume_data_cmd = app.add_subcommand("resume-data", "cancel a task or a download group and print its resume data");
  resume_data_cmd->add_option("task", task, "task or group id (from list)")->required();
  auto* status_cmd = app.add_subcommand("status", "the daemon's version, uptime, sessions, tasks, limits and rates");

  LimitArgs limit_args;
  auto* limit_cmd = app.add_subcommand("limit", "show or set bandwidth limits (global and per session); 0 or none clears");
  limit_cmd->add_option("--global", limit_args.global, "limit for all transfers together, e.g. 5M (bytes/s, K/M/G = 1024-based)");
  limit_cmd->add_option("--session", limit_args.session, "set this session's limit to RATE");
  limit_cmd->add_option("rate", limit_args.rate, "the session's limit, e.g. 1M");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  ctx.socket = socket;
  for (auto* cmd : {download_cmd, upload_cmd, wait_cmd})
    if (cmd->parsed() && cmd->count("--session") > 0) ctx.session_given = true;

  if (download_cmd->parsed()) {
    if (!dl.input_file.empty()) {
      if (!dl.url.empty() || !dl.output.empty() || !dl.resume_data_file.empty() || dl.in_process || !dl.checksum.empty() ||
          !dl.mirrors.empty()) {
        std::cerr << "ferryctl download: -i FILE names every download; give no URL, -o, --resume-data, --in-process, --checksum "
                     "or --mirror with it\n";
        return kExitUsage;
      }
      return dl.group.empty() ? downloadList(ctx, dl) : downloadGroup(ctx, dl);
    }
    if (!dl.group.empty()) {
      std::cerr << "ferryctl download: --group NAME makes a group of the lines of -i FILE; give -i FILE\n";
      return kExitUsage;
    }
    if (dl.url.empty() && dl.resume_data_file.empty()) {
      std::cerr << "ferryctl download: give a URL, -i FILE or --resume-data FILE\n";
      return kExitUsage;
    }
    return download(ctx, dl);
  }
  if (upload_cmd->parsed()) {
    if (up.resume_data_file.empty() == (up.file.empty() || up.url.empty())) {
      std::cerr << "ferryctl upload: give FILE and URL, or --resume-data FILE alone\n";
      return kExitUsage;
    }
    return upload(ctx, up);
  }
  if (get_cmd->parsed()) return get(ctx, get_args);
  if (wait_cmd->parsed()) return wait(ctx);
  if (list_cmd->parsed()) {
    if (!list_session.empty()) {
      ctx.session = list_session;
      all_sessions = false;
    }
    return list(ctx, all_sessions, groups_only);
  }
  if (watch_cmd->parsed()) return watch(ctx);
  if (events_cmd->parsed()) return events(ctx, events_session);
  for (auto* cmd : task_cmds)
    if (cmd->parsed()) return taskCommand(ctx, cmd->get_name(), task);
  if (resume_data_cmd->parsed()) return resumeData(ctx, task);
  if (status_cmd->parsed()) return status(ctx);
  if (limit_cmd->parsed()) return limit(ctx, limit_args);
  return kExitUsage;
}
