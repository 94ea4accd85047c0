#pragma once
// What a download's bytes are checked against (issue 16): the digest the application expects
// (HttpRequest::expected_digest) and the digests the server announces for the whole
// representation (Repr-Digest, RFC 9530; or Digest, RFC 3230), with the running hashes of the
// bytes in the partial file. The hashes take the body as it is received (no second read of the
// file at the end); a hash that does not cover exactly the bytes of the file when a response
// starts or the download ends (a new job continuing a file: ferryd restarted, a resumed task; a
// write that failed) is fed again from the file once. See docs/architecture.md, "Integrity".

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/digest.hpp"
#include "common/error.hpp"

namespace ferry::engine {

class DownloadIntegrity {
 public:
  // The application's digest (canonical or any form parseExpectedDigest reads); empty: none.
  Result<void> expect(const std::string& expected_digest);
  // A response's body is about to go into the file from `offset`: the digests it announces
  // (empty: none; at offset > 0 the last ones still hold, the entity being the same), then the
  // hashes are made to cover exactly the file's first `offset` bytes.
  Result<void> startBody(const std::filesystem::path& file, std::uint64_t offset, std::vector<Digest> announced,
                         std::string announced_by);
  // Body bytes, in order, as they are written at the end of the file.
  void take(const char* data, std::size_t size) {
    for (auto& hasher : hashers_) hasher.update(data, size);
  }
  // The download is complete with `length` bytes in `file`: none (every digest matches), or what
  // differs ("expected sha-256=..., the bytes give sha-256=...").
  Result<std::optional<std::string>> check(const std::filesystem::path& file, std::uint64_t length);
  // Whether the one refetch from zero a mismatch gets is used (then the next mismatch ends the job).
  bool refetched = false;

 private:
  Hasher& hasherFor(DigestAlgorithm algorithm);
  Result<void> catchUp(const std::filesystem::path& file, std::uint64_t length);

  std::optional<Digest> expected_;
  std::vector<Digest> announced_;
  std::string announced_by_;     // "Repr-Digest" or "Digest"
  std::vector<Hasher> hashers_;  // one per algorithm something is checked with
};

}  // namespace ferry::engine
