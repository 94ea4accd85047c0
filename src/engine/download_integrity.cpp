#include "engine/download_integrity.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/files.hpp"
#include "common/unique_fd.hpp"

namespace ferry::engine {

namespace {
constexpr std::size_t kRehashChunk = 1024 * 1024;
}  // namespace

Result<void> DownloadIntegrity::expect(const std::string& expected_digest) {
  if (expected_digest.empty()) return {};
  auto digest = parseExpectedDigest(expected_digest);
  if (!digest) return tl::unexpected(digest.error());
  expected_ = std::move(*digest);
  hasherFor(expected_->algorithm);
  return {};
}

Hasher& DownloadIntegrity::hasherFor(DigestAlgorithm algorithm) {
  auto it = std::find_if(hashers_.begin(), hashers_.end(), [&](const Hasher& h) { return h.algorithm() == algorithm; });
  if (it != hashers_.end()) return *it;
  return hashers_.emplace_back(algorithm);  // at 0 bytes: catchUp feeds it the file's bytes
}

Result<void> DownloadIntegrity::startBody(const std::filesystem::path& file, std::uint64_t offset,
                                          std::vector<Digest> announced, std::string announced_by) {
  if (!announced.empty() || offset == 0) {
    announced_ = std::move(announced);
    announced_by_ = std::move(announced_by);
  }
  for (const auto& digest : announced_) hasherFor(digest.algorithm);
  return catchUp(file, offset);
}

Result<void> DownloadIntegrity::catchUp(const std::filesystem::path& file, std::uint64_t length) {
  std::vector<Hasher*> behind;
  for (auto& hasher : hashers_) {
    if (hasher.bytesHashed() == length) continue;
    hasher.reset();
    if (length > 0) behind.push_back(&hasher);
  }
  if (behind.empty()) return {};
  // One read of the file's first `length` bytes for every hash that needs them.
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return tl::unexpected(files::errnoError(errno, "open " + file.string()));
  std::vector<char> buffer(kRehashChunk);
  std::uint64_t done = 0;
  while (done < length) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), length - done));
    const ssize_t n = ::pread(fd.get(), buffer.data(), want, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return tl::unexpected(files::errnoError(errno, "read " + file.string()));
    if (n == 0) return fail(errc::io, file.string() + " is shorter than the " + std::to_string(length) +
                                          " bytes written to it; something else changed it. Start the download again.");
    for (Hasher* hasher : behind) hasher->update(buffer.data(), static_cast<std::size_t>(n));
    done += static_cast<std::uint64_t>(n);
  }
  return {};
}

Result<std::optional<std::string>> DownloadIntegrity::check(const std::filesystem::path& file, std::uint64_t length) {
  if (hashers_.empty()) return std::optional<std::string>();
  if (auto fed = catchUp(file, length); !fed) return tl::unexpected(fed.error());
  auto actual = [&](DigestAlgorithm algorithm) { return Digest{algorithm, hasherFor(algorithm).finish()}; };
  if (expected_) {
    const Digest got = actual(expected_->algorithm);
    if (got != *expected_) return std::optional<std::string>("expected " + expected_->text() + ", the bytes give " + got.text());
  }
  for (const auto& digest : announced_) {
    const Digest got = actual(digest.algorithm);
    if (got != digest)
      return std::optional<std::string>("the server's " + announced_by_ + " says " + digest.text() + ", the bytes give " +
                                        got.text());
  }
  return std::optional<std::string>();
}

}  // namespace ferry::engine
