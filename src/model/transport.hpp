#pragma once
// How a session's transfers reach servers. The value is public API (ferry/transport.hpp, one
// definition); the model names it as its own, so that the engine and the store speak model::.

#include "ferry/transport.hpp"

namespace ferry::model {

using TransportSettings = ferry::TransportSettings;

}  // namespace ferry::model
