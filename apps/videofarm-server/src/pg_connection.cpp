#include "pg_connection.hpp"

#ifdef VF_HAVE_LIBPQ

#include <spdlog/spdlog.h>

namespace vf::pg {

ferry::Result<std::unique_ptr<Connection>> Connection::open(const std::string& conninfo) {
  std::unique_ptr<PGconn, ConnCloser> raw(PQconnectdb(conninfo.c_str()));
  if (!raw || PQstatus(raw.get()) != CONNECTION_OK)
    return ferry::fail(ferry::errc::io, std::string("cannot connect to PostgreSQL: ") +
                                            (raw ? PQerrorMessage(raw.get()) : "out of memory"));
  PQsetNoticeProcessor(raw.get(), [](void*, const char*) {}, nullptr);  // "already exists" notices
  auto conn = std::make_unique<Connection>(raw.release());
  if (auto r = migrate(*conn); !r) return tl::unexpected(r.error());
  return conn;
}

ferry::Result<void> Connection::script(const char* sql) {
  PgResult r(PQexec(conn_.get(), sql));
  auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    return ferry::fail(ferry::errc::io, std::string("PostgreSQL: ") + PQerrorMessage(conn_.get()));
  return {};
}

ferry::Result<PgResult> Connection::execOnce(const std::string& sql, const std::vector<Param>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PgResult r(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                          nullptr, 0));
  auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return r;
  const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
  last_state_ = state ? state : "";
  return ferry::fail(ferry::errc::io, std::string("catalogue (PostgreSQL): ") + PQerrorMessage(conn_.get()));
}

ferry::Result<PgResult> Connection::exec(const std::string& sql, const std::vector<Param>& params) {
  auto r = execOnce(sql, params);
  if (r || PQstatus(conn_.get()) == CONNECTION_OK) return r;
  spdlog::warn("PostgreSQL connection lost; reconnecting");
  PQreset(conn_.get());
  ++generation_;  // a new session: the old one's advisory locks are gone
  if (PQstatus(conn_.get()) != CONNECTION_OK) return r;
  return execOnce(sql, params);
}

ferry::Result<std::unique_ptr<CatalogLock>> AdvisoryLock::tryTake(Connection& conn, std::string key) {
  // The key is made by this program (digits, a comma): no parameter needed.
  auto r = conn.exec("SELECT pg_try_advisory_lock(" + key + ")");
  if (!r) return tl::unexpected(r.error());
  if (!boolean(r->get(), 0, 0)) return std::unique_ptr<CatalogLock>();
  return std::unique_ptr<CatalogLock>(new AdvisoryLock(conn, std::move(key)));
}

AdvisoryLock::~AdvisoryLock() {
  if (held()) (void)conn_.exec("SELECT pg_advisory_unlock(" + key_ + ")");
}

}  // namespace vf::pg

#endif
