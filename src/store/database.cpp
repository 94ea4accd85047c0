#include "store/database.hpp"

#include <sqlite3.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace ferry::store {

std::string_view errorCodeFor(int sqlite_rc, int system_errno) {
  const bool denied = system_errno == EACCES || system_errno == EPERM || system_errno == EROFS;
  switch (sqlite_rc & 0xff) {
    case SQLITE_FULL:
      return errc::no_space;
    case SQLITE_IOERR:
      // The errno is only consulted for codes where SQLite sets it: it may be stale otherwise.
      if (system_errno == ENOSPC || system_errno == EDQUOT) return errc::no_space;
      return denied ? errc::permission_denied : errc::io;
    case SQLITE_CANTOPEN:
      if (denied) return errc::permission_denied;
      if (system_errno == ENOENT || system_errno == ENOTDIR) return errc::not_found;
      if (system_errno == ENOSPC || system_errno == EDQUOT) return errc::no_space;
      return errc::io;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return errc::permission_denied;
    case SQLITE_CONSTRAINT:
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
      return errc::invalid_argument;
    case SQLITE_NOMEM:
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
    case SQLITE_ERROR:  // SQL that does not fit the schema: ours to fix, not the user's
    case SQLITE_INTERNAL:
      return errc::internal;
    default:  // CORRUPT, NOTADB, BUSY, LOCKED, PROTOCOL, ...
      return errc::io;
  }
}

Error errorFromConnection(sqlite3* db, int rc, const std::filesystem::path& path,
                          std::string_view what) {
  if (db == nullptr) return makeError(errorCodeFor(rc, 0), path, what, sqlite3_errstr(rc));
  int extended = sqlite3_extended_errcode(db);
  if ((extended & 0xff) != (rc & 0xff)) extended = rc;  // errcode is stale: trust the caller's rc
  const int primary = extended & 0xff;
  const bool os_level = primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN || primary == SQLITE_FULL;
  const int sys = os_level ? sqlite3_system_errno(db) : 0;
  std::string detail = sqlite3_errmsg(db);
  if (sys != 0) detail += " (" + std::string(std::strerror(sys)) + ")";
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    detail += "; another process keeps it locked (is a second ferryd using the same state directory?)";
  }
  return makeError(errorCodeFor(extended, sys), path, what, detail);
}

namespace {

std::string_view hintFor(std::string_view code) {
  if (code == errc::no_space) return "free some disk space; ferryd retries what it could not save";
  if (code == errc::permission_denied) {
    return "make the state directory and its files writable by the user ferryd runs as";
  }
  if (code == errc::not_found) return "create the state directory first";
  if (code == errc::internal) return "this is a bug in ferryd; please report it";
  if (code == errc::invalid_argument) {
    return "the change does not fit the stored state (a key stored twice, say); this is a bug "
           "in ferryd, please report it";
  }
  return "check the disk and the state directory";
}

}  // namespace

Error makeError(std::string_view code, const std::filesystem::path& path, std::string_view what,
                std::string_view detail) {
  std::string msg = "state database " + path.string() + ": could not " + std::string(what);
  if (!detail.empty()) msg += ": " + std::string(detail);
  msg += "; " + std::string(hintFor(code)) + ".";
  return Error(code, std::move(msg));
}

// ---- Statement ------------------------------------------------------------------------------

Statement::Statement(sqlite3_stmt* stmt, std::filesystem::path db_path) noexcept
    : stmt_(stmt), db_path_(std::move(db_path)) {}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      db_path_(std::move(other.db_path_)),
      bind_rc_(std::exchange(other.bind_rc_, SQLITE_OK)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_path_ = std::move(other.db_path_);
    bind_rc_ = std::exchange(other.bind_rc_, SQLITE_OK);
  }
  return *this;
}

void Statement::noteBind(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

Statement& Statement::bind(int index, std::int64_t value) {
  noteBind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::bind(int index, std::uint64_t value) {
  // SQLite integers are signed 64-bit; the bit pattern round-trips through columnUint().
  return bind(index, static_cast<std::int64_t>(value));
}

Statement& Statement::bind(int index, std::string_view text) {
  noteBind(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Statement& Statement::bind(int index, std::optional<std::uint64_t> value) {
  return value ? bind(index, *value) : bindNull(index);
}

Statement& Statement::bindNull(int index) {
  noteBind(sqlite3_bind_null(stmt_, index));
  return *this;
}

Result<bool> Statement::step(std::string_view what) {
  sqlite3* db = sqlite3_db_handle(stmt_);
  if (bind_rc_ != SQLITE_OK) {
    int rc = std::exchange(bind_rc_, SQLITE_OK);
    return tl::unexpected(makeError(errorCodeFor(rc, 0), db_path_, what, sqlite3_errstr(rc)));
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return tl::unexpected(errorFromConnection(db, rc, db_path_, what));
}

Result<void> Statement::run(std::string_view what) {
  ResetGuard guard(*this);
  for (;;) {
    auto r = step(what);
    if (!r) return tl::unexpected(r.error());
    if (!*r) return {};
  }
}

void Statement::reset() {
  if (stmt_ == nullptr) return;
  // The return value repeats the last step's error, which step() has already reported.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
}

std::int64_t Statement::columnInt(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string Statement::columnText(int index) const {
  const unsigned char* text = sqlite3_column_text(stmt_, index);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index)));
}

bool Statement::columnIsNull(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

std::optional<std::uint64_t> Statement::columnOptionalUint(int index) const {
  if (columnIsNull(index)) return std::nullopt;
  return columnUint(index);
}

// ---- Database -------------------------------------------------------------------------------

Result<Database> Database::open(const std::filesystem::path& path) {
  Database db;
  db.path_ = path;
  // No mutex per call: one thread at a time uses a connection (store.hpp "Threading"), and
  // SQLite's own locking was ~3 % of ferryd's start-up with 1,000,000 tasks.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db.db_, flags, nullptr);
  if (db.db_ == nullptr) {
    return tl::unexpected(makeError(errc::internal, path, "open it", sqlite3_errstr(rc)));
  }
  if (rc != SQLITE_OK) return tl::unexpected(db.lastError(rc, "open it"));
  sqlite3_extended_result_codes(db.db_, 1);
  return db;
}

Database::~Database() {
  // close_v2 defers the close while a statement is alive instead of failing; owners finalize
  // their statements first anyway.
  sqlite3_close_v2(db_);
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

Result<Statement> Database::prepare(std::string_view sql) const {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return tl::unexpected(lastError(rc, "prepare \"" + std::string(sql) + "\""));
  }
  return Statement(stmt, path_);
}

Result<void> Database::exec(std::string_view sql, std::string_view what) {
  int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return tl::unexpected(lastError(rc, what));
  return {};
}

Result<std::int64_t> Database::queryInt(std::string_view sql, std::string_view what) {
  auto stmt = prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = stmt->step(what);
  if (!row) return tl::unexpected(row.error());
  return *row ? stmt->columnInt(0) : 0;
}

Result<std::string> Database::queryText(std::string_view sql, std::string_view what) {
  auto stmt = prepare(sql);
  if (!stmt) return tl::unexpected(stmt.error());
  auto row = stmt->step(what);
  if (!row) return tl::unexpected(row.error());
  return *row ? stmt->columnText(0) : std::string();
}

bool Database::inTransaction() const { return db_ != nullptr && sqlite3_get_autocommit(db_) == 0; }

int Database::lastErrorCode() const { return db_ != nullptr ? sqlite3_extended_errcode(db_) : SQLITE_OK; }

int Database::changes() const { return sqlite3_changes(db_); }

Error Database::lastError(int rc, std::string_view what) const {
  return errorFromConnection(db_, rc, path_, what);
}

}  // namespace ferry::store
