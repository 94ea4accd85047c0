#pragma once
// Fault injection for tests that must stop ferryd at an exact point, as kill -9 would, where a
// signal from outside cannot aim (between two renames of one writer item). FERRYD_FAILPOINT=
// "NAME:N" makes the Nth pass through failpoint NAME raise SIGKILL. Read once; when the variable
// is unset (every real run) a pass costs one comparison. docs/architecture.md, "Download groups".

#include <string_view>

namespace ferry::daemon {

// The failpoints: "group-rename" (after each member's file is renamed into place, task_groups.cpp).
void failpointReached(std::string_view name);

}  // namespace ferry::daemon
