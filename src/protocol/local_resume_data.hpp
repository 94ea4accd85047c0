#pragma once
// Resume data made by an in-process (default or ephemeral) session:
//
//   ferry-local-resume-v1.<base64url(JSON {v, key, token, url, offset})>.<base64url(HMAC-SHA256)>
//
// signed with the user's key (KEY in the resume directory, 0600). The token names two files in
// that directory: TOKEN.partial (the bytes) and TOKEN.json (the request with its headers, the
// validators, the partial file's identity), so a header such as Authorization never travels in
// the blob. Both kinds of session accept it — a default session runs it in this process, ferryd
// moves the file into its state directory — and taking it is single use (the files leave the
// directory). The directory is $XDG_CACHE_HOME/ferry/resume (else ~/.cache/ferry/resume): both
// sides find it alone, since ferryd and the application run as the same user.

#include <filesystem>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "common/signing_key.hpp"
#include "model/http_request.hpp"
#include "model/segments.hpp"
#include "model/validators.hpp"

namespace ferry::protocol {

struct LocalResume {
  model::HttpRequest request;
  std::uint64_t offset = 0;  // bytes in the partial file that continue with Range + If-Range
  model::Validators validators;
  std::optional<std::uint64_t> expected_total;
  // A segmented download's ranges (offset is their sum); empty: the file's first `offset` bytes.
  // Such a blob is version 2; version 1 blobs are still made for the others, and both are read.
  model::Segments segments;
};

class LocalResumeStore {
 public:
  static std::filesystem::path defaultDirectory();
  static bool isLocalBlob(const std::string& blob);
  // Makes `directory` (0700) and its key when missing.
  static Result<LocalResumeStore> open(const std::filesystem::path& directory);

  // Moves `partial` (its first `what.offset` bytes count) into the directory; returns the blob.
  Result<std::string> keep(const std::filesystem::path& partial, const LocalResume& what) const;
  // A checked blob and the files behind it, not yet taken.
  struct Claim {
    LocalResume what;
    std::filesystem::path partial;
    std::filesystem::path record;
  };
  // Checks `blob` (signature, record, the partial file's identity): invalid / foreign / stale as
  // ferryd's blobs. Reads only the small record; the partial file is not touched.
  Result<Claim> check(const std::string& blob) const;
  // Hands the partial file over to `into` (renamed, or copied when on another file system) and
  // removes the record: the blob cannot be used again.
  static Result<void> claim(const Claim& claim, const std::filesystem::path& into);
  // check + claim.
  Result<LocalResume> take(const std::string& blob, const std::filesystem::path& into) const;

 private:
  LocalResumeStore(std::filesystem::path directory, SigningKey key) : dir_(std::move(directory)), key_(std::move(key)) {}
  std::filesystem::path dir_;
  SigningKey key_;
};

}  // namespace ferry::protocol
