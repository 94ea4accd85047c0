#pragma once
// A small RAII layer over SQLite for the client's state: a connection, prepared statements with
// bound values, and errors as Results naming the file.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "videofarm/errors.hpp"

namespace videofarm::sql {

using Value = std::variant<std::nullptr_t, std::int64_t, std::string>;
using Row = std::vector<Value>;

class Database {
 public:
  static Result<Database> open(const std::filesystem::path& path);
  Database(Database&&) noexcept = default;
  Database& operator=(Database&&) noexcept = default;

  Result<void> exec(const std::string& sql);
  // Runs one statement with `params` bound in order; returns every row.
  Result<std::vector<Row>> query(const std::string& sql, const std::vector<Value>& params = {});
  Result<void> run(const std::string& sql, const std::vector<Value>& params = {}) {
    auto r = query(sql, params);
    if (!r) return tl::unexpected(r.error());
    return {};
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  Database(std::filesystem::path path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  Error error(int rc, const std::string& what) const;
  std::filesystem::path path_;
  std::unique_ptr<sqlite3, Closer> db_;
};

inline std::optional<std::int64_t> asInt(const Value& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  return std::nullopt;
}
inline std::string asText(const Value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  return {};
}

}  // namespace videofarm::sql
