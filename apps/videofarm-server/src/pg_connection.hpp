#pragma once
// One libpq connection as the catalogues (videos, accounts) use it: parameterised statements in
// text format, a lost connection re-established once per call, results freed by RAII.
#ifdef VF_HAVE_LIBPQ

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "common/error.hpp"
#include "video_catalog.hpp"

namespace vf::pg {

struct ConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultClearer>;

// A text parameter; nullopt is SQL NULL.
using Param = std::optional<std::string>;

template <class T>
Param optionalParam(const std::optional<T>& v) {
  if (!v) return std::nullopt;
  if constexpr (std::is_same_v<T, std::string>) {
    return *v;
  } else {
    return std::to_string(*v);
  }
}

inline bool isNull(PGresult* r, int row, int col) { return PQgetisnull(r, row, col) != 0; }
inline std::string text(PGresult* r, int row, int col) { return PQgetvalue(r, row, col); }
inline std::int64_t integer(PGresult* r, int row, int col) { return std::stoll(PQgetvalue(r, row, col)); }
inline bool boolean(PGresult* r, int row, int col) { return PQgetvalue(r, row, col)[0] == 't'; }
inline bool changedRows(PGresult* r) { return std::string(PQcmdTuples(r)) != "0"; }

class Connection {
 public:
  // Connects and brings the schema up to date (pg_schema.cpp).
  static ferry::Result<std::unique_ptr<Connection>> open(const std::string& conninfo);

  // Runs a statement; after a lost connection, reconnects and tries once more.
  ferry::Result<PgResult> exec(const std::string& sql, const std::vector<Param>& params = {});
  // Several statements without parameters (the schema).
  ferry::Result<void> script(const char* sql);
  // SQLSTATE of the last failed statement ("23505": unique violation).
  const std::string& lastState() const { return last_state_; }
  // Counts the connections made: a session's advisory locks are gone once it changes.
  std::uint64_t generation() const { return generation_; }

  explicit Connection(PGconn* conn) : conn_(conn) {}

 private:
  ferry::Result<PgResult> execOnce(const std::string& sql, const std::vector<Param>& params);

  std::unique_ptr<PGconn, ConnCloser> conn_;
  std::string last_state_;
  std::uint64_t generation_ = 0;
};

// The advisory lock of the expiry sweep (two-key form: its own key space, apart from the
// uploads' one-key locks and the schema's).
inline constexpr const char* kExpirySweepLock = "7261536, 1";

// A session-level advisory lock (pg_try_advisory_lock): PostgreSQL drops it when the session
// ends, so a killed instance's locks go with its connection.
class AdvisoryLock final : public CatalogLock {
 public:
  // `key`: the SQL arguments of pg_try_advisory_lock ("123" or "1, 2"). Null when it is held.
  static ferry::Result<std::unique_ptr<CatalogLock>> tryTake(Connection& conn, std::string key);
  ~AdvisoryLock() override;
  bool held() const override { return conn_.generation() == generation_; }

 private:
  AdvisoryLock(Connection& conn, std::string key) : conn_(conn), key_(std::move(key)), generation_(conn.generation()) {}
  Connection& conn_;
  std::string key_;
  std::uint64_t generation_;
};

// Creates the tables and runs the migrations, under an advisory lock (pg_schema.cpp).
ferry::Result<void> migrate(Connection& conn);

}  // namespace vf::pg

#endif
