#pragma once
// One error style everywhere (docs/architecture.md, "Error handling"): failures a caller must handle
// come back as ferry::Result<T> (tl::expected); exceptions are only for programming errors and
// start-up failures. The error type, its codes, Result and fail() are public API (ferry/error.hpp,
// one definition, which applications use as well); Ferry's own parts include them through here.

#include "ferry/error.hpp"
