#include "exit_codes.hpp"

#include <iostream>

namespace videofarm::cli {

int exitCodeFor(const Error& e) {
  if (e.is(errc::invalid_argument) || e.is(errc::invalid_state) || e.is(errc::bad_url) || e.is(errc::unsupported_scheme))
    return kExitUsage;
  if (e.is(errc::daemon_unavailable) || e.is(errc::version_mismatch) || e.is(errc::permission_denied)) return kExitNoDaemon;
  if (e.is(errc::already_attached)) return kExitAttached;
  if (e.is(errc::server_unreachable) || e.is(errc::bad_answer)) return kExitServer;
  if (e.is(errc::state_unusable) || e.is(errc::no_space)) return kExitState;
  return kExitFailed;
}

int report(const Error& error) {
  std::cerr << "videofarm: " << error.message << " [" << error.code << "]\n";
  return exitCodeFor(error);
}

}  // namespace videofarm::cli
