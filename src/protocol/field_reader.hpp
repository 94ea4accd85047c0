#pragma once
// Typed, exception-free reading of one JSON object's fields, for every decoder of messages and
// stored values. A decoder reads all its fields through one FieldReader and then calls finish():
// the first field that was present with the wrong type (or out of range) is the error, a
// protocol error naming the object and the field ("status: uptime_seconds must be a number").
// Absent fields, and null ones, give the fallback: what a newer or older peer left out.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "protocol/messages.hpp"

namespace ferry::protocol {

class FieldReader {
 public:
  // `what` names the object in errors; `j` must outlive the reader.
  FieldReader(const Json& j, std::string what);

  std::string string(std::string_view field, std::string fallback = {});
  std::uint64_t unsignedInteger(std::string_view field, std::uint64_t fallback = 0);
  std::int64_t integer(std::string_view field, std::int64_t fallback = 0);
  double number(std::string_view field, double fallback = 0);
  bool boolean(std::string_view field, bool fallback = false);
  std::optional<std::uint64_t> optionalUnsigned(std::string_view field);
  std::optional<std::int64_t> optionalInteger(std::string_view field);
  std::optional<std::string> optionalString(std::string_view field);
  // A field a message cannot do without: absent (or null) is "<what>: <field> is missing".
  std::uint64_t requiredUnsigned(std::string_view field);
  // The field whatever its type (nullptr when absent or null), for a caller with its own checks.
  const Json* value(std::string_view field) { return present(field); }
  // The field when it is an object (or array); nullptr when absent, null or (an error) another type.
  const Json* object(std::string_view field);
  const Json* array(std::string_view field);
  // Records a problem found by the caller (a nested decoder's error, a value out of range).
  void problem(std::string sentence);
  void problem(Error error);  // kept as it is (its own code)
  // A nested decoder's value, or nullopt with its error recorded.
  template <class T>
  std::optional<T> take(Result<T> decoded) {
    if (decoded) return std::move(*decoded);
    problem(std::move(decoded.error()));
    return std::nullopt;
  }

  // `value` when every field read had its type, else the first problem.
  template <class T>
  Result<T> finish(T value) const {
    if (problem_) return tl::unexpected(*problem_);
    return value;
  }
  bool ok() const { return !problem_; }

 private:
  const Json* present(std::string_view field);  // nullptr when absent or null
  void wrongType(std::string_view field, std::string_view expected);

  const Json& j_;
  std::string what_;
  std::optional<Error> problem_;
};

}  // namespace ferry::protocol
