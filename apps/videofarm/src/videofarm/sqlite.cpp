#include "videofarm/sqlite.hpp"

namespace videofarm::sql {

namespace {
struct StatementCloser {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementCloser>;
}  // namespace

Error Database::error(int rc, const std::string& what) const {
  std::string text = db_ ? sqlite3_errmsg(db_.get()) : sqlite3_errstr(rc);
  const int primary = rc & 0xff;
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
    return Error(errc::state_unusable, "the state file " + path_.string() + " is not a usable VideoFarm state database (" +
                                           text + "); move it away to start with an empty state");
  if (primary == SQLITE_FULL) return Error(errc::no_space, "the state file " + path_.string() + ": " + text);
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    return Error(errc::state_unusable, "the state file " + path_.string() + " is locked by another program (" + text + ")");
  return Error(errc::state_unusable, "the state file " + path_.string() + ": " + what + ": " + text);
}

Result<Database> Database::open(const std::filesystem::path& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  Database db(path, raw);  // closes even a failed open's handle
  if (rc != SQLITE_OK) return tl::unexpected(db.error(rc, "open"));
  sqlite3_busy_timeout(raw, 10000);
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Result<void> Database::exec(const std::string& sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);
  if (rc != SQLITE_OK) return tl::unexpected(error(rc, sql.substr(0, 60)));
  return {};
}

Result<std::vector<Row>> Database::query(const std::string& sql, const std::vector<Value>& params) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr);
  Statement stmt(raw);
  if (rc != SQLITE_OK) return tl::unexpected(error(rc, "prepare " + sql.substr(0, 60)));
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int at = static_cast<int>(i + 1);
    if (auto* n = std::get_if<std::int64_t>(&params[i])) rc = sqlite3_bind_int64(raw, at, *n);
    else if (auto* s = std::get_if<std::string>(&params[i])) rc = sqlite3_bind_text(raw, at, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
    else rc = sqlite3_bind_null(raw, at);
    if (rc != SQLITE_OK) return tl::unexpected(error(rc, "bind"));
  }
  std::vector<Row> rows;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    Row row;
    const int n = sqlite3_column_count(raw);
    for (int c = 0; c < n; ++c) {
      switch (sqlite3_column_type(raw, c)) {
        case SQLITE_NULL: row.emplace_back(nullptr); break;
        case SQLITE_INTEGER: row.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(raw, c))); break;
        default: {
          auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, c));
          row.emplace_back(std::string(text ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(raw, c))));
        }
      }
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) return tl::unexpected(error(rc, sql.substr(0, 60)));
  return rows;
}

}  // namespace videofarm::sql
