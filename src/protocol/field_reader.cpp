#include "protocol/field_reader.hpp"

#include <limits>

namespace ferry::protocol {

FieldReader::FieldReader(const Json& j, std::string what) : j_(j), what_(std::move(what)) {
  if (!j_.is_object()) problem(what_ + " is not a JSON object");
}

void FieldReader::problem(std::string sentence) {
  if (!problem_) problem_ = Error(errc::protocol, std::move(sentence));
}

void FieldReader::problem(Error error) {
  if (!problem_) problem_ = std::move(error);
}

void FieldReader::wrongType(std::string_view field, std::string_view expected) {
  problem(what_ + ": " + std::string(field) + " must be " + std::string(expected));
}

const Json* FieldReader::present(std::string_view field) {
  if (!j_.is_object()) return nullptr;
  auto it = j_.find(field);
  if (it == j_.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string FieldReader::string(std::string_view field, std::string fallback) {
  const Json* v = present(field);
  if (!v) return fallback;
  if (!v->is_string()) {
    wrongType(field, "a string");
    return fallback;
  }
  return v->get<std::string>();
}

std::optional<std::string> FieldReader::optionalString(std::string_view field) {
  if (!present(field)) return std::nullopt;
  return string(field);
}

std::uint64_t FieldReader::requiredUnsigned(std::string_view field) {
  const bool absent = present(field) == nullptr;
  if (absent) problem(what_ + ": " + std::string(field) + " is missing");
  return absent ? 0 : unsignedInteger(field);
}

std::uint64_t FieldReader::unsignedInteger(std::string_view field, std::uint64_t fallback) {
  return optionalUnsigned(field).value_or(fallback);
}

std::optional<std::uint64_t> FieldReader::optionalUnsigned(std::string_view field) {
  const Json* v = present(field);
  if (!v) return std::nullopt;
  // A value built in this process ({"task", 1}) is a signed integer; parsed, it is unsigned.
  if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<std::int64_t>() >= 0)) {
    wrongType(field, "a whole number of 0 or more");
    return std::nullopt;
  }
  return v->get<std::uint64_t>();
}

std::int64_t FieldReader::integer(std::string_view field, std::int64_t fallback) {
  return optionalInteger(field).value_or(fallback);
}

std::optional<std::int64_t> FieldReader::optionalInteger(std::string_view field) {
  const Json* v = present(field);
  if (!v) return std::nullopt;
  if (v->is_number_unsigned()) {
    const auto u = v->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      wrongType(field, "a whole number below 2^63");
      return std::nullopt;
    }
    return static_cast<std::int64_t>(u);
  }
  if (!v->is_number_integer()) {
    wrongType(field, "a whole number");
    return std::nullopt;
  }
  return v->get<std::int64_t>();
}

double FieldReader::number(std::string_view field, double fallback) {
  const Json* v = present(field);
  if (!v) return fallback;
  if (!v->is_number()) {
    wrongType(field, "a number");
    return fallback;
  }
  return v->get<double>();
}

bool FieldReader::boolean(std::string_view field, bool fallback) {
  const Json* v = present(field);
  if (!v) return fallback;
  if (!v->is_boolean()) {
    wrongType(field, "true or false");
    return fallback;
  }
  return v->get<bool>();
}

const Json* FieldReader::object(std::string_view field) {
  const Json* v = present(field);
  if (v && !v->is_object()) {
    wrongType(field, "a JSON object");
    return nullptr;
  }
  return v;
}

const Json* FieldReader::array(std::string_view field) {
  const Json* v = present(field);
  if (v && !v->is_array()) {
    wrongType(field, "a JSON array");
    return nullptr;
  }
  return v;
}

}  // namespace ferry::protocol
