#pragma once
// The small RAII layer over SQLite's C API that the catalogues (videos, accounts) share.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "common/error.hpp"

namespace vf::sqlite {

inline ferry::Error dbError(sqlite3* db, const std::string& what) {
  return ferry::Error(ferry::errc::io, "catalogue (SQLite) " + what + ": " + sqlite3_errmsg(db));
}

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

// One prepared statement with positional binding; finalized by RAII.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    sqlite3_stmt* s = nullptr;
    rc_ = sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
    stmt_.reset(s);
  }
  bool ok() const { return rc_ == SQLITE_OK; }
  // Ready to run again (a statement kept for a query the server makes at every request).
  void reset() {
    sqlite3_reset(stmt_.get());
    sqlite3_clear_bindings(stmt_.get());
  }
  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_.get(), i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_.get(), i, v);
    return *this;
  }
  Statement& bindNull(int i) {
    sqlite3_bind_null(stmt_.get(), i);
    return *this;
  }
  template <class T>
  Statement& bindOptional(int i, const std::optional<T>& v) {
    if (!v) return bindNull(i);
    if constexpr (std::is_same_v<T, double>) {
      sqlite3_bind_double(stmt_.get(), i, *v);
      return *this;
    } else if constexpr (std::is_same_v<T, std::string>) {
      return bind(i, *v);
    } else {
      return bind(i, static_cast<std::int64_t>(*v));
    }
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_.get()); }
  std::string text(int c) const {
    auto p = sqlite3_column_text(stmt_.get(), c);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_.get(), c)) : std::string();
  }
  bool isNull(int c) const { return sqlite3_column_type(stmt_.get(), c) == SQLITE_NULL; }
  std::int64_t integer(int c) const { return sqlite3_column_int64(stmt_.get(), c); }
  double real(int c) const { return sqlite3_column_double(stmt_.get(), c); }

 private:
  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, StmtFinalizer> stmt_;
  int rc_ = SQLITE_ERROR;
};

// Runs SQL without results (several statements allowed); false on failure.
inline bool execScript(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

// Opens (creating) the database file with the settings every catalogue uses.
ferry::Result<std::unique_ptr<sqlite3, DbCloser>> openDatabase(const std::string& path);

}  // namespace vf::sqlite
