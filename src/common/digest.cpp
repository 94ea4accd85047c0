#include "common/digest.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "common/base64.hpp"

namespace ferry {
namespace {

const EVP_MD* evpOf(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::sha512 ? EVP_sha512() : EVP_sha256();
}

std::size_t sizeOf(DigestAlgorithm algorithm) { return algorithm == DigestAlgorithm::sha512 ? 64 : 32; }

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<DigestAlgorithm> algorithmOf(std::string_view name) {
  const std::string lower = lowercase(name);
  if (lower == "sha-256") return DigestAlgorithm::sha256;
  if (lower == "sha-512") return DigestAlgorithm::sha512;
  return std::nullopt;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::string> hexDecode(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int high = nibble(text[i]), low = nibble(text[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
  }
  return out;
}

// The value of one digest: hex, ":BASE64:" (a structured-field byte sequence) or bare base64.
std::optional<std::string> digestBytes(std::string_view value, DigestAlgorithm algorithm, bool allow_hex) {
  std::optional<std::string> bytes;
  if (value.size() >= 2 && value.front() == ':' && value.back() == ':') {
    bytes = base64Decode(value.substr(1, value.size() - 2));
  } else if (allow_hex && value.size() == 2 * sizeOf(algorithm)) {
    bytes = hexDecode(value);
  } else {
    bytes = base64Decode(value);
  }
  if (!bytes || bytes->size() != sizeOf(algorithm)) return std::nullopt;
  return bytes;
}

// "name=value, name=value": each member that names sha-256/sha-512 and whose value reads.
template <class ValueOf>
std::vector<Digest> parseMembers(std::string_view header, ValueOf value_of) {
  std::vector<Digest> out;
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view member = trimmed(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    const auto eq = member.find('=');
    if (eq == std::string_view::npos) continue;
    const auto algorithm = algorithmOf(trimmed(member.substr(0, eq)));
    if (!algorithm) continue;
    if (auto bytes = value_of(trimmed(member.substr(eq + 1)), *algorithm)) out.push_back(Digest{*algorithm, std::move(*bytes)});
  }
  return out;
}

}  // namespace

std::string_view digestAlgorithmName(DigestAlgorithm algorithm) {
  return algorithm == DigestAlgorithm::sha512 ? "sha-512" : "sha-256";
}

std::string Digest::text() const { return std::string(digestAlgorithmName(algorithm)) + "=" + hexEncode(bytes); }

Result<Digest> parseExpectedDigest(std::string_view text) {
  auto refuse = [&](const std::string& why) {
    return fail(errc::invalid_argument, "the expected digest \"" + std::string(text.substr(0, 200)) + "\" " + why +
                                            "; give sha-256=HEX, sha-512=HEX or sha-256=:BASE64: (RFC 9530)");
  };
  const auto eq = text.find('=');
  if (eq == std::string_view::npos) return refuse("has no algorithm (ALGORITHM=VALUE)");
  const auto algorithm = algorithmOf(text.substr(0, eq));
  if (!algorithm) return refuse("names an algorithm other than sha-256 or sha-512");
  auto bytes = digestBytes(text.substr(eq + 1), *algorithm, true);
  if (!bytes)
    return refuse("is not " + std::to_string(sizeOf(*algorithm)) + " bytes in hex (" +
                  std::to_string(2 * sizeOf(*algorithm)) + " digits) or base64");
  return Digest{*algorithm, std::move(*bytes)};
}

std::vector<Digest> parseReprDigestHeader(std::string_view value) {
  // RFC 8941 dictionary: the value is a byte sequence (":BASE64:"), maybe with parameters.
  return parseMembers(value, [](std::string_view v, DigestAlgorithm algorithm) -> std::optional<std::string> {
    if (v.empty() || v.front() != ':') return std::nullopt;
    const auto close = v.find(':', 1);
    if (close == std::string_view::npos) return std::nullopt;
    return digestBytes(v.substr(0, close + 1), algorithm, false);
  });
}

std::vector<Digest> parseLegacyDigestHeader(std::string_view value) {
  return parseMembers(value, [](std::string_view v, DigestAlgorithm algorithm) {
    return digestBytes(v, algorithm, false);
  });
}

Hasher::Hasher(DigestAlgorithm algorithm) : algorithm_(algorithm), context_(EVP_MD_CTX_new()) {
  if (!context_) throw std::bad_alloc();
  reset();
}

void Hasher::reset() {
  if (EVP_DigestInit_ex(context_.get(), evpOf(algorithm_), nullptr) != 1)
    throw std::runtime_error("OpenSSL cannot compute " + std::string(digestAlgorithmName(algorithm_)));
  bytes_ = 0;
}

void Hasher::update(const void* data, std::size_t size) {
  if (size == 0) return;
  EVP_DigestUpdate(context_.get(), data, size);
  bytes_ += size;
}

std::string Hasher::finish() const {
  std::unique_ptr<EVP_MD_CTX, FreeContext> copy(EVP_MD_CTX_new());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!copy || EVP_MD_CTX_copy_ex(copy.get(), context_.get()) != 1 || EVP_DigestFinal_ex(copy.get(), md, &length) != 1)
    throw std::runtime_error("OpenSSL could not finish a digest");
  return std::string(reinterpret_cast<const char*>(md), length);
}

}  // namespace ferry
