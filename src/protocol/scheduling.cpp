#include "protocol/scheduling.hpp"

#include <cmath>

#include "protocol/field_reader.hpp"

namespace ferry::protocol {

Result<model::Scheduling> schedulingFromJson(const Json& j) {
  model::Scheduling s;
  if (!j.is_object()) return s;
  FieldReader in(j, "scheduling");
  if (const Json* it = in.value("priority")) {
    if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0.0 || it->get<double>() > 1.0)
      return fail(errc::invalid_argument,
                  "priority must be a number from 0.0 (lowest) to 1.0 (highest); 0.5 is the default, got " + it->dump());
    s.priority = it->get<double>();
  }
  if (const Json* it = in.value("discretionary")) {
    if (!it->is_boolean()) return fail(errc::invalid_argument, "discretionary must be true or false, got " + it->dump());
    s.discretionary = it->get<bool>();
  }
  for (auto [field, value] : {std::pair{"allows_expensive_network_access", &s.allows_expensive_network},
                              std::pair{"allows_constrained_network_access", &s.allows_constrained_network},
                              std::pair{"requires_external_power", &s.requires_external_power}}) {
    const Json* it = in.value(field);
    if (it == nullptr) continue;
    if (!it->is_boolean()) return fail(errc::invalid_argument, std::string(field) + " must be true or false, got " + it->dump().substr(0, 64));
    *value = it->get<bool>();
  }
  if (const Json* it = in.value("begin_at")) {
    const bool whole = it->is_number_integer() || (it->is_number_float() && std::trunc(it->get<double>()) == it->get<double>());
    if (!whole || it->get<double>() < 0 || it->get<double>() > static_cast<double>(kMaxBeginAt))
      return fail(errc::invalid_argument,
                  "begin_at must be a whole number of seconds since 1970-01-01T00:00:00Z (as date +%s prints), got " +
                      it->dump().substr(0, 64));
    s.begin_at = std::chrono::system_clock::time_point(std::chrono::seconds(it->get<std::int64_t>()));
  }
  return s;
}

std::optional<std::int64_t> beginAtSeconds(const model::Scheduling& s) {
  if (!s.begin_at) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::seconds>(s.begin_at->time_since_epoch()).count();
}

void schedulingToJson(const model::Scheduling& s, Json& j) {
  j["priority"] = s.priority;
  j["discretionary"] = s.discretionary;
  if (auto at = beginAtSeconds(s)) j["begin_at"] = *at;
  putMachineNeeds(s, j);
}

void putMachineNeeds(const model::Scheduling& s, Json& j) {
  if (!s.allows_expensive_network) j["allows_expensive_network_access"] = false;
  if (!s.allows_constrained_network) j["allows_constrained_network_access"] = false;
  if (s.requires_external_power) j["requires_external_power"] = true;
}

Result<std::uint64_t> bandwidthLimitFromJson(const Json& message, std::string_view field) {
  auto it = message.find(field);
  const std::string sentence = std::string(field) + " must be a whole number of bytes per second: 0 (no limit) or " +
                               std::to_string(kMinBandwidthLimit) + " to " + std::to_string(kMaxBandwidthLimit);
  if (it == message.end()) return fail(errc::invalid_argument, sentence + "; it is missing");
  const bool whole = it->is_number_unsigned() || (it->is_number_integer() && it->get<std::int64_t>() >= 0);
  if (!whole) return fail(errc::invalid_argument, sentence + ", got " + it->dump().substr(0, 64));
  const auto value = it->get<std::uint64_t>();
  if (value != 0 && (value < kMinBandwidthLimit || value > kMaxBandwidthLimit))
    return fail(errc::invalid_argument, sentence + ", got " + std::to_string(value));
  return value;
}

}  // namespace ferry::protocol
