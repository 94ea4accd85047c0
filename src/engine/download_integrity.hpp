#pragma once
// What a download's bytes are checked against (issue 16): the digest the application expects
// (HttpRequest::expected_digest) and the digests the server announces for the whole
// representation (Repr-Digest, RFC 9530; or Digest, RFC 3230), with the running hashes of the
// bytes in the partial file. The hashes take the body as it is received (no second read of the
// file at the end); a hash that does not cover exactly the bytes of the file when a response
// starts or the download ends (a new job continuing a file: ferryd restarted, a resumed task; a
// write that failed) is fed again from the file once. See docs/architecture.md, "Integrity".
// Big chunks are hashed on HashBehind's thread, in parallel with their write.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/worker_thread.hpp"

namespace ferry::engine {

// The thread that hashes a big chunk of the body while the write-behind thread writes it
// (common/write_behind.hpp): SHA-256 costs ~0.7 s of CPU per GiB, which on the transfer thread
// took 40 % off an uncapped download's throughput (bench/download-checksum). The same rule as for
// writes: at most one hash of a job in flight, waited for before the hashes are used elsewhere.
class HashBehind {
 public:
  HashBehind() : worker_([](std::packaged_task<void()>& task) { task(); }) {}
  std::future<void> post(std::function<void()> work) {
    std::packaged_task<void()> task(std::move(work));
    auto done = task.get_future();
    worker_.post(std::move(task));
    return done;
  }

 private:
  WorkerThread<std::packaged_task<void()>> worker_;
};

class DownloadIntegrity {
 public:
  // The application's digest (canonical or any form parseExpectedDigest reads); empty: none.
  Result<void> expect(const std::string& expected_digest);
  // A response's body is about to go into the file from `offset`: the digests it announces
  // (empty: none; at offset > 0 the last ones still hold, the entity being the same), then the
  // hashes are made to cover exactly the file's first `offset` bytes.
  Result<void> startBody(const std::filesystem::path& file, std::uint64_t offset, std::vector<Digest> announced,
                         std::string announced_by);
  // Whether anything is checked (a digest is expected or announced): else nothing is hashed.
  bool active() const { return !hashers_.empty(); }
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
