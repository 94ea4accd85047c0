#pragma once
// A task's identifier: unique within one ferryd state directory, never reused (the store hands
// them out). The engine, the daemon, the protocol and libferry all name a task by it.

#include <cstdint>

namespace ferry::model {

using TaskId = std::uint64_t;

}  // namespace ferry::model
