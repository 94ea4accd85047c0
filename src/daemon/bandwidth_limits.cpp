#include "daemon/bandwidth_limits.hpp"

#include <spdlog/spdlog.h>

#include "protocol/scheduling.hpp"

namespace ferry::daemon {
namespace {
constexpr std::string_view kGlobal = "limit:global";
constexpr std::string_view kSessionPrefix = "limit:session:";

std::string metaName(const std::optional<std::string>& session) {
  return session ? std::string(kSessionPrefix) + *session : std::string(kGlobal);
}
}  // namespace

void BandwidthLimitBook::restore(const std::map<std::string, std::int64_t>& meta) {
  for (const auto& [name, value] : meta) {
    if (value <= 0) continue;
    const auto limit = static_cast<std::uint64_t>(value);
    if (name == kGlobal) {
      limits_.global = limit;
    } else if (name.rfind(kSessionPrefix, 0) == 0) {
      limits_.per_group[name.substr(kSessionPrefix.size())] = limit;
    }
  }
  if (limits_.global > 0 || !limits_.per_group.empty()) {
    spdlog::info("bandwidth limits: {}", protocol::bandwidthStatusToJson(status()).dump());
    engine_.setBandwidthLimits(limits_);
  }
}

void BandwidthLimitBook::set(const std::optional<std::string>& session, std::uint64_t bytes_per_second,
                             store::Writer::Done done) {
  if (session) {
    if (bytes_per_second == 0) limits_.per_group.erase(*session);
    else limits_.per_group[*session] = bytes_per_second;
  } else {
    limits_.global = bytes_per_second;
  }
  spdlog::info("bandwidth limit of {} set to {} bytes/s", session ? "session " + *session : std::string("all transfers"),
               bytes_per_second);
  engine_.setBandwidthLimits(limits_);
  const auto commit = done ? store::Commit::prompt : store::Commit::batched;  // a reply waits for it
  writer_.submit(
      store::Durability::lifecycle,
      [name = metaName(session), bytes_per_second](store::Store& s) -> Result<void> {
        if (bytes_per_second == 0) return s.deleteMeta(name);
        return s.putMeta(name, static_cast<std::int64_t>(bytes_per_second));
      },
      std::move(done), commit);
}

protocol::BandwidthStatus BandwidthLimitBook::status() const {
  protocol::BandwidthStatus b;
  b.global_limit = limits_.global;
  b.session_limits = {limits_.per_group.begin(), limits_.per_group.end()};
  return b;
}

}  // namespace ferry::daemon
