#pragma once
// The answers of `status`, `limits` and `set_limit` (docs/ipc.md) as values: ferryd builds them,
// Control returns them, ferryctl prints them. The JSON is the wire format; these codecs are the
// only place it is spelled.

#include "common/error.hpp"
#include "ferry/status.hpp"
#include "protocol/messages.hpp"

namespace ferry::protocol {

// The values are public API (ferry/status.hpp, one definition); the protocol names them as its own.
using BandwidthStatus = ferry::BandwidthStatus;
using LaunchStatus = ferry::LaunchStatus;
using SessionStatus = ferry::SessionStatus;
using DaemonStatus = ferry::DaemonStatus;
using DeviceStatus = ferry::DeviceStatus;

Json bandwidthStatusToJson(const BandwidthStatus& b);
Result<BandwidthStatus> bandwidthStatusFromJson(const Json& j);
Json launchStatusToJson(const LaunchStatus& l);
Result<LaunchStatus> launchStatusFromJson(const Json& j);
Json daemonStatusToJson(const DaemonStatus& s);
Result<DaemonStatus> daemonStatusFromJson(const Json& j);

}  // namespace ferry::protocol
