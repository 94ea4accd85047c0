#pragma once
// One error style everywhere (docs/architecture.md, "Error handling"): failures a caller must handle come back as
// ferry::Result<T> (tl::expected); exceptions are only for programming errors and start-up failures.
// The error type, its codes and Result are public API (ferry/error.hpp, one definition); this
// header adds what only Ferry's own code uses to make them.

#include <string>
#include <string_view>
#include <utility>

#include "ferry/error.hpp"

namespace ferry {

inline tl::unexpected<Error> fail(std::string_view code, std::string message) {
  return tl::unexpected<Error>(Error(code, std::move(message)));
}

}  // namespace ferry
