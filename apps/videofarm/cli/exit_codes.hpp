#pragma once
// The videofarm command's exit codes (README "VideoFarm client" lists them) and the mapping from
// an error's code to them.

#include "videofarm/errors.hpp"

namespace videofarm::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;       // the server refused (unknown id, ...), a transfer failed
inline constexpr int kExitUsage = 2;        // bad arguments or input (unreadable movie, nothing to pause)
inline constexpr int kExitNoDaemon = 3;     // ferryd cannot be reached
inline constexpr int kExitAttached = 4;     // another videofarm holds the background session
inline constexpr int kExitServer = 5;       // the VideoFarm server cannot be reached or answered garbage
inline constexpr int kExitState = 6;        // the state database cannot be used

int exitCodeFor(const Error& error);

// Prints "videofarm: <message>" to stderr and returns the exit code for it.
int report(const Error& error);

}  // namespace videofarm::cli
