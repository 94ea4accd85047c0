#include "credentials.hpp"

#include <sodium.h>

#include <stdexcept>

#include "storage.hpp"

namespace vf {
namespace {

constexpr std::string_view kTokenPrefix = "vf_";
constexpr std::size_t kTokenDigits = 64;

void initSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium cannot start");
}

}  // namespace

std::string hashPassword(std::string_view password) {
  initSodium();
  char out[crypto_pwhash_STRBYTES];
  // INTERACTIVE (64 MiB, 2 passes): a login is verified on the I/O thread; see docs.
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    throw std::runtime_error("out of memory hashing a password");
  return out;
}

bool verifyPassword(std::string_view password, const std::string& hash) {
  initSodium();
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

void verifyNothing(std::string_view password) {
  try {
    static const std::string dummy = hashPassword("no account has this password");
    (void)verifyPassword(password, dummy);
  } catch (const std::exception&) {
    // Out of memory: the answer is "wrong name or password" either way.
  }
}

std::string newApiToken() { return std::string(kTokenPrefix) + randomId(kTokenDigits); }

std::string tokenDigest(std::string_view token) {
  initSodium();
  unsigned char digest[32];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                     nullptr, 0);
  char hex[sizeof digest * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

bool looksLikeApiToken(std::string_view token) {
  return token.substr(0, kTokenPrefix.size()) == kTokenPrefix &&
         isValidId(token.substr(kTokenPrefix.size()), kTokenDigits);
}

}  // namespace vf
