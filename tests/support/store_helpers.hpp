#pragma once
// Opening a Store in a test: a failure is reported to gtest and gives nullptr.

#include <filesystem>
#include <memory>

#include <gtest/gtest.h>

#include "store/store.hpp"

namespace ferry::test {

inline std::unique_ptr<store::Store> openStore(const std::filesystem::path& path) {
  auto opened = store::Store::open(path);
  if (!opened) ADD_FAILURE() << opened.error().describe();
  return opened ? std::move(*opened) : nullptr;
}

}  // namespace ferry::test
