#pragma once
// ferryctl's commands, one function each. They print for people (or JSON with --json) and
// return the process exit code (see kExit* below and docs/ferryctl.md).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "ferry/configuration.hpp"
#include "ferry/session.hpp"
#include "ferry/types.hpp"

namespace ferry::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitTaskFailed = 1;   // a transfer ended without success
inline constexpr int kExitUsage = 2;        // bad arguments or input (bad URL, bad resume data)
inline constexpr int kExitUnavailable = 3;  // no daemon, or permission denied
inline constexpr int kExitBusy = 4;         // the session is attached by another process

// --ca-file, --cert, --key, --proxy of download and upload: the transport settings of the
// session ferryctl attaches with (they are the session's, so they apply to every task whose
// attempt starts while that session has them).
struct TransportArgs {
  std::string ca_file;
  std::string cert;
  std::string key;
  std::string proxy;  // a proxy URL, or "direct"
};

struct Context {
  std::filesystem::path socket;  // empty: default
  bool json = false;
  std::string session = "ferryctl";
  bool session_given = false;  // --session was on the command line
  TransportArgs transport;
  int parallel = 0;  // --parallel N: the session's transfers at once (and per host); 0: its default
};

// The background session ferryctl attaches with: ctx's session, socket, transport, --parallel.
Configuration configurationFor(const Context& ctx);
// Attaches to the session; when another ferryctl holds the default one, to a session of its own
// (ferryctl-PID; ctx.session then says which).
Result<std::unique_ptr<Session>> attach(Context& ctx, const std::shared_ptr<SessionDelegate>& delegate, bool detach);

// A download group's progress for people: "3/20 files, 12.3 MiB / 40.0 MiB".
std::string groupProgressText(const GroupProgress& progress);

// The exit code an error gives, and the error printed (as JSON with --json) with that code.
int exitCodeFor(const Error& e);
int report(const Context& ctx, const Error& e);

// --priority, --discretionary, --begin-at, --no-metered, --requires-power of download and upload
// (parsed by arguments.hpp).
struct SchedulingArgs {
  std::string priority;  // empty: default
  bool discretionary = false;
  std::string begin_at;  // empty: none
  bool no_metered = false;      // neither expensive nor constrained network access
  bool requires_power = false;  // requiresExternalPower
};

// The scheduling options --priority, --discretionary and --begin-at ask for.
Result<SchedulingOptions> schedulingFor(const SchedulingArgs& args);

struct DownloadArgs {
  std::string url;
  std::string output;       // -o; default: the URL's last segment in the current directory
  std::string input_file;   // -i FILE: one download per line, "URL [-o FILE]" (command_download_list.cpp)
  std::string group;        // --group NAME with -i: the lines as one download group (command_download_group.cpp)
  std::vector<std::string> headers;  // "Name: value"
  std::string resume_data_file;      // --resume-data FILE ("-": stdin)
  bool detach = false;
  bool in_process = false;  // --in-process: a default session in ferryctl itself, no ferryd
  std::string description;
  std::string checksum;  // --checksum sha-256=HEX (aria2's spelling): DownloadOptions::expected_digest
  std::string connections;  // --connections / -x N (aria2's spelling): DownloadOptions::connections; empty: 1
  std::vector<std::string> mirrors;  // --mirror URL (repeatable): DownloadOptions::mirrors
  SchedulingArgs scheduling;
};

// The options every download of the command line shares (started at once, --description,
// scheduling, --connections, --mirror), checked before anything is asked of ferryd.
Result<DownloadOptions> downloadOptionsFor(const DownloadArgs& args);

int download(const Context& ctx, const DownloadArgs& args);
// download -i FILE: every line's download, created in batches; one progress line for the group.
int downloadList(const Context& ctx, const DownloadArgs& args);
// download -i FILE --group NAME: every line's file in one download group, all or nothing; waits
// for didCompleteGroup and says which file(s) failed.
int downloadGroup(const Context& ctx, const DownloadArgs& args);
// download --resume-data FILE whose blob is a group's: the group again (create_group with it).
int downloadGroupWithResumeData(const Context& ctx, const DownloadArgs& args, const std::string& blob);

struct GetArgs {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  bool include = false;              // -i: the status line and headers first
  bool fail = false;                 // -f: an HTTP error status is exit 1, nothing printed
};

// A default-session data task to standard output, like curl's simplest use.
int get(const Context& ctx, const GetArgs& args);

// A request from the command line's URL and -H "Name: value" headers.
Result<Request> requestFor(const std::string& url, const std::vector<std::string>& headers);

struct UploadArgs {
  std::string file;
  std::string url;
  std::string method = "PUT";
  std::vector<std::string> headers;  // "Name: value"
  std::string resumable = "ietf";    // ietf | tus | none
  std::string redirects = "follow";  // follow | refuse (ask needs a delegate: libferry only)
  std::string resume_data_file;      // --resume-data FILE ("-": stdin): continue a cancelled upload
  bool detach = false;
  std::string description;
  SchedulingArgs scheduling;
};

// Uploads FILE; waits for the server's answer (printed on stdout) unless detached.
int upload(const Context& ctx, const UploadArgs& args);
int wait(const Context& ctx);
// Groups first (id, name, state, files and bytes), then tasks (with their group); --groups: only groups.
int list(const Context& ctx, bool all_sessions, bool groups_only);
int watch(const Context& ctx);
int taskCommand(const Context& ctx, const std::string& verb, std::uint64_t task);
int resumeData(const Context& ctx, std::uint64_t task);
int status(const Context& ctx);

struct LimitArgs {
  std::string global;   // --global RATE
  std::string session;  // --session ID
  std::string rate;     // the session's RATE
};
// Shows the bandwidth limits and current rates, or sets the global and/or a session's limit.
int limit(const Context& ctx, const LimitArgs& args);
// Tails one session's event stream (queued events first); one line per event, or JSON lines.
int events(const Context& ctx, const std::string& session);

}  // namespace ferry::cli
