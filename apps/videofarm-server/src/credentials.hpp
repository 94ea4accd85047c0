#pragma once
// Passwords and API tokens, with libsodium.
//
// A password is low-entropy and chosen by a person: it is stored as an Argon2id string
// (crypto_pwhash_str: salt and cost inside), memory-hard so a stolen database is slow to guess
// at. A token is 256 random bits made here: nobody can guess it from a fast hash of it, so it is
// stored as a BLAKE2b-256 digest, which lets every request look its token up by the digest in
// one indexed query instead of paying Argon2id's 64 MiB and ~50 ms per request.

#include <string>
#include <string_view>

namespace vf {

// Argon2id string for `password` (throws std::bad_alloc-like runtime_error when out of memory).
std::string hashPassword(std::string_view password);
// Constant-time check of `password` against a hashPassword() string.
bool verifyPassword(std::string_view password, const std::string& hash);
// Burns the time of one verification, for a name that has no account (no timing oracle).
void verifyNothing(std::string_view password);

// "vf_" + 64 hex digits from getrandom(2).
std::string newApiToken();
// Hex BLAKE2b-256 of the token: what the catalogue keeps.
std::string tokenDigest(std::string_view token);
// True when `token` has newApiToken()'s shape (checked before any database lookup).
bool looksLikeApiToken(std::string_view token);

}  // namespace vf
