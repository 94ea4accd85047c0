#pragma once
// Validators of the entity whose bytes are in a partial file: what makes a later Range request
// safe (If-Range). Kept in resume data and in the store.

#include <string>

namespace ferry::model {

struct Validators {
  std::string etag;           // strong ETag only ("W/..." are dropped: they cannot guard a Range)
  std::string last_modified;  // HTTP-date
  bool empty() const { return etag.empty() && last_modified.empty(); }
  bool operator==(const Validators&) const = default;
};

}  // namespace ferry::model
