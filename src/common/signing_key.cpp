#include "common/signing_key.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <vector>

#include "common/base64.hpp"
#include "common/files.hpp"
#include "common/unique_fd.hpp"

namespace ferry {
namespace {

constexpr std::size_t kKeyBytes = 32;

std::string keyIdOf(const std::string& key) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(key.data(), key.size(), md, &len, EVP_sha256(), nullptr);
  return hexEncode(std::string_view(reinterpret_cast<const char*>(md), 8));
}

Result<std::string> createKeyFile(const std::filesystem::path& key_file) {
  unsigned char bytes[kKeyBytes];
  RAND_bytes(bytes, sizeof bytes);
  std::string key(reinterpret_cast<char*>(bytes), sizeof bytes);
  auto tmp = key_file;
  tmp += ".tmp";
  UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!out) return tl::unexpected(files::errnoError(errno, "create " + tmp.string()));
  if (auto written = files::writeAll(out.get(), key, 0, tmp); !written) return tl::unexpected(written.error());
  if (::fdatasync(out.get()) != 0) return tl::unexpected(files::errnoError(errno, "fdatasync " + tmp.string()));
  if (auto moved = files::renameDurably(tmp, key_file); !moved) return tl::unexpected(moved.error());
  return key;
}

}  // namespace

std::string randomHex(std::size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  RAND_bytes(buffer.data(), static_cast<int>(buffer.size()));
  return hexEncode(std::string_view(reinterpret_cast<const char*>(buffer.data()), buffer.size()));
}

Result<SigningKey> SigningKey::open(const std::filesystem::path& key_file) {
  SigningKey k;
  UniqueFd fd(::open(key_file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd) {
    char buf[64];
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n != static_cast<ssize_t>(kKeyBytes))
      return fail(errc::io, "key file " + key_file.string() + " is damaged; delete it (resume data signed with it becomes unusable)");
    k.key_.assign(buf, kKeyBytes);
  } else {
    auto created = createKeyFile(key_file);
    if (!created) return tl::unexpected(created.error());
    k.key_ = std::move(*created);
  }
  k.id_ = keyIdOf(k.key_);
  return k;
}

std::string SigningKey::sign(const std::string& data) const {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), md, &len);
  return std::string(reinterpret_cast<char*>(md), len);
}

bool SigningKey::verify(const std::string& data, const std::string& mac) const {
  const std::string expected = sign(data);
  return mac.size() == expected.size() && CRYPTO_memcmp(mac.data(), expected.data(), expected.size()) == 0;
}

}  // namespace ferry
