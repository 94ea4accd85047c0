#pragma once
// Resume data: the opaque blob cancelByProducingResumeData hands to an application.
//
//   ferry-resume-v1.<base64url(JSON)>.<base64url(HMAC-SHA256(daemon key, JSON))>
//
// The JSON names a single-use token in the daemon's store (which in turn names the partial file,
// relative to the state directory), so the blob itself carries no path: a moved state directory
// does not break it. The HMAC key is per state directory (resume.key, 0600): a blob from another
// daemon is "foreign", an altered one is "invalid", a used or missing one is "stale".

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/error.hpp"
#include "common/signing_key.hpp"

namespace ferry::daemon {

struct ResumeData {
  std::string key_id;  // first 8 bytes of SHA-256 of the key, hex: tells "foreign" from "tampered"
  std::string token;
  std::string session;
  std::string url;
  std::uint64_t offset = 0;
  // Version 2: the token's partial file is segmented (its bytes are where the token's segments
  // say). Version 1 blobs (contiguous bytes) are still made for those that are not, so that an
  // older ferryd still takes them, and both are accepted.
  int version = 1;
};

class ResumeDataCodec {
 public:
  // Loads the key from `key_file`, creating it (32 random bytes, mode 0600) when missing.
  static Result<ResumeDataCodec> open(const std::filesystem::path& key_file);

  std::string encode(ResumeData data) const;
  Result<ResumeData> decode(const std::string& blob) const;
  const std::string& keyId() const { return key_.id(); }

 private:
  explicit ResumeDataCodec(SigningKey key) : key_(std::move(key)) {}
  SigningKey key_;
};

// 16 random bytes as hex, for tokens.
std::string randomToken();

}  // namespace ferry::daemon
