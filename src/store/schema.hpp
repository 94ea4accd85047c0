#pragma once
// The store's schema and its migrations, versioned by PRAGMA user_version and marked as ours by
// PRAGMA application_id (so that an unrelated SQLite file is refused instead of altered).

#include <cstdint>

#include "common/error.hpp"
#include "store/database.hpp"

namespace ferry::store::schema {

inline constexpr std::int64_t kVersion = 5;               // the newest schema this build knows
inline constexpr std::int64_t kApplicationId = 0x46455259;  // "FERY"

// Everything open() does before the Store prepares its statements: refuses files that are not
// Ferry databases, are newer than kVersion or fail quick_check; switches to WAL, sets busy_timeout,
// foreign_keys and synchronous=NORMAL; migrates to kVersion and checks that the tables are there.
Result<void> prepare(Database& db);

}  // namespace ferry::store::schema
