#pragma once
// Small RAII wrappers over the SQLite C API, private to the store. Every handle has one owner;
// every failure becomes a ferry::Error whose sentence names the database file and carries
// sqlite3_errmsg, and whose code says what the user can do (no-space, permission-denied, ...).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace ferry::store {

// The Error for a failed call on `db` (which may be null) that returned `rc`.
Error errorFromConnection(::sqlite3* db, int rc, const std::filesystem::path& path, std::string_view what);

// Maps a SQLite result code (extended codes welcome) and the OS errno behind it to a ferry code.
std::string_view errorCodeFor(int sqlite_rc, int system_errno);

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3_stmt* stmt, std::filesystem::path db_path) noexcept;
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  explicit operator bool() const { return stmt_ != nullptr; }

  // Parameters are 1-based, as in SQLite. A failed bind is remembered and reported by step().
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::uint64_t value);  // stored as the same 64 bits, signed
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, bool value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, std::optional<std::uint64_t> value);
  Statement& bindNull(int index);

  // One step: true when a row is ready, false when done. `what` says what the caller was doing,
  // for the error sentence ("store task 7").
  Result<bool> step(std::string_view what);
  // Steps to completion and resets, for statements that return no rows.
  Result<void> run(std::string_view what);
  // Resets and clears bindings; a statement left stepping would hold a read snapshot open
  // (and block WAL checkpoints), so every user resets after use.
  void reset();

  std::int64_t columnInt(int index) const;
  std::uint64_t columnUint(int index) const { return static_cast<std::uint64_t>(columnInt(index)); }
  std::string columnText(int index) const;
  bool columnIsNull(int index) const;
  std::optional<std::uint64_t> columnOptionalUint(int index) const;

 private:
  sqlite3_stmt* stmt_ = nullptr;
  std::filesystem::path db_path_;  // only for error sentences
  int bind_rc_ = 0;                 // first failed bind (SQLITE_OK when none)
  void noteBind(int rc);
};

// Resets a statement when the scope ends, whatever path leaves it.
class ResetGuard {
 public:
  explicit ResetGuard(Statement& s) : s_(s) {}
  ~ResetGuard() { s_.reset(); }
  ResetGuard(const ResetGuard&) = delete;
  ResetGuard& operator=(const ResetGuard&) = delete;

 private:
  Statement& s_;
};

class Database {
 public:
  // Opens (creating when missing) the file read-write, with extended result codes on.
  static Result<Database> open(const std::filesystem::path& path);

  Database() = default;
  ~Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* handle() const { return db_; }
  const std::filesystem::path& path() const { return path_; }

  Result<Statement> prepare(std::string_view sql) const;
  // Runs one or more statements that return no rows we need.
  Result<void> exec(std::string_view sql, std::string_view what);
  // Runs a statement that returns one integer (PRAGMA user_version, SELECT count(*), ...).
  Result<std::int64_t> queryInt(std::string_view sql, std::string_view what);
  Result<std::string> queryText(std::string_view sql, std::string_view what);

  bool inTransaction() const;
  // The extended result code of the connection's last failure.
  int lastErrorCode() const;
  int changes() const;

  // The Error for the connection's last failure, `rc` being what the failing call returned.
  Error lastError(int rc, std::string_view what) const;

 private:
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
};

// The sentence for a failure of `what` on the database at `path`, with a hint that fits `code`.
Error makeError(std::string_view code, const std::filesystem::path& path, std::string_view what,
                std::string_view detail);

}  // namespace ferry::store
