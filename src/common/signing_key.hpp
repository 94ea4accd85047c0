#pragma once
// A secret key in a file (32 random bytes, mode 0600, made on first use) that signs blobs handed
// to applications with HMAC-SHA256, so that what comes back can be told genuine ("invalid" when
// altered, "foreign" when signed with another key). ferryd's resume data uses its state
// directory's key; in-process sessions use the user's key (protocol/local_resume_data.hpp).

#include <filesystem>
#include <string>

#include "common/error.hpp"

namespace ferry {

class SigningKey {
 public:
  // Loads the key from `key_file`, creating it when missing. A damaged file is an io error.
  static Result<SigningKey> open(const std::filesystem::path& key_file);

  std::string sign(const std::string& data) const;  // raw HMAC-SHA256 bytes
  bool verify(const std::string& data, const std::string& mac) const;  // constant time
  // First 8 bytes of SHA-256 of the key, hex: tells "foreign" from "tampered" without the key.
  const std::string& id() const { return id_; }

 private:
  std::string key_;
  std::string id_;
};

// `bytes` random bytes as lowercase hex (tokens, file names).
std::string randomHex(std::size_t bytes = 16);

}  // namespace ferry
