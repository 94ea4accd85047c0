#pragma once
// Digests of a download's bytes (issue 16, "Integrity"): what an application expects
// (DownloadOptions::expected_digest, "sha-256=HEX" as aria2 spells it, or RFC 9530's
// "sha-256=:BASE64:"), what a server announces (RFC 9530 Repr-Digest, RFC 3230 Digest), and the
// running hash of the bytes (OpenSSL EVP). Only SHA-256 and SHA-512: the algorithms RFC 9530
// marks "standard"; md5/sha (SHA-1) in a server's header are ignored, never trusted.

#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace ferry {

enum class DigestAlgorithm { sha256, sha512 };

struct Digest {
  DigestAlgorithm algorithm = DigestAlgorithm::sha256;
  std::string bytes;  // raw: 32 or 64 bytes
  // "sha-256=1f2e..." (lowercase hex): how messages, the store and the protocol spell it.
  std::string text() const;
  bool operator==(const Digest&) const = default;
};

std::string_view digestAlgorithmName(DigestAlgorithm algorithm);  // "sha-256", "sha-512"

// An expected digest as an application gives it: "sha-256=HEX", "sha-512=HEX" (the algorithm's
// name case-insensitive, hex of either case), or "sha-256=:BASE64:" (RFC 9530). Anything else is
// invalid-argument with a sentence that shows the accepted forms.
Result<Digest> parseExpectedDigest(std::string_view text);

// A server's digests of the whole representation: Repr-Digest (RFC 9530 dictionary,
// `sha-256=:BASE64:, sha-512=:BASE64:`) or Digest (RFC 3230, `SHA-256=BASE64`). Members with
// other algorithms, or that do not parse, are left out (a header we cannot read proves nothing).
std::vector<Digest> parseReprDigestHeader(std::string_view value);
std::vector<Digest> parseLegacyDigestHeader(std::string_view value);

// A running hash (OpenSSL EVP_MD_CTX) and how many bytes it has taken.
class Hasher {
 public:
  explicit Hasher(DigestAlgorithm algorithm);
  DigestAlgorithm algorithm() const { return algorithm_; }
  std::uint64_t bytesHashed() const { return bytes_; }
  void update(const void* data, std::size_t size);
  void reset();                       // back to the empty input
  std::string finish() const;         // the digest of what was taken so far (the hasher goes on)

 private:
  struct FreeContext {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  DigestAlgorithm algorithm_;
  std::unique_ptr<EVP_MD_CTX, FreeContext> context_;
  std::uint64_t bytes_ = 0;
};

}  // namespace ferry
