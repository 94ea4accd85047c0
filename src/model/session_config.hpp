#pragma once
// A background session's configuration: what its client attaches with (hello), what ferryd keeps
// for it (the session's row) and what the launcher runs. The values are public API
// (ferry/session_config.hpp, one definition: Configuration builds them); the model names them as
// its own, so that the protocol, the store and the daemon speak model::.

#include "ferry/session_config.hpp"
#include "model/transport.hpp"

namespace ferry::model {

using LaunchCommand = ferry::LaunchCommand;
using SessionConfig = ferry::SessionConfig;

}  // namespace ferry::model
