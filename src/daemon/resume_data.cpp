#include "daemon/resume_data.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/base64.hpp"
#include "common/files.hpp"
#include "common/unique_fd.hpp"
#include "protocol/field_reader.hpp"

namespace ferry::daemon {
namespace {

constexpr std::string_view kPrefix = "ferry-resume-v1.";
constexpr std::size_t kMaxBlob = 16 * 1024;

std::string hex(const unsigned char* data, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

std::string hmac(const std::string& key, const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return std::string(reinterpret_cast<char*>(md), len);
}

std::string keyIdOf(const std::string& key) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(key.data(), key.size(), md, &len, EVP_sha256(), nullptr);
  return hex(md, 8);
}

Error invalid(const std::string& why) {
  return Error(errc::resume_data_invalid,
               "the resume data is not valid (" + why + "); start the transfer again from its URL");
}

}  // namespace

std::string randomToken() {
  unsigned char bytes[16];
  RAND_bytes(bytes, sizeof bytes);
  return hex(bytes, sizeof bytes);
}

Result<ResumeDataCodec> ResumeDataCodec::open(const std::filesystem::path& key_file) {
  ResumeDataCodec codec;
  UniqueFd fd(::open(key_file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd) {
    char buf[64];
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n != 32) return fail(errc::io, "resume key " + key_file.string() + " is damaged; delete it (old resume data becomes unusable)");
    codec.key_.assign(buf, 32);
  } else {
    unsigned char bytes[32];
    RAND_bytes(bytes, sizeof bytes);
    codec.key_.assign(reinterpret_cast<char*>(bytes), sizeof bytes);
    auto tmp = key_file;
    tmp += ".tmp";
    UniqueFd out(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!out) return tl::unexpected(files::errnoError(errno, "create " + tmp.string()));
    if (auto written = files::writeAll(out.get(), codec.key_, 0, tmp); !written) return tl::unexpected(written.error());
    if (::fdatasync(out.get()) != 0) return tl::unexpected(files::errnoError(errno, "fdatasync " + tmp.string()));
    auto moved = files::renameDurably(tmp, key_file);
    if (!moved) return tl::unexpected(moved.error());
  }
  codec.key_id_ = keyIdOf(codec.key_);
  return codec;
}

std::string ResumeDataCodec::encode(ResumeData data) const {
  nlohmann::json j{{"v", 1},          {"key", key_id_},       {"token", data.token},
                   {"session", data.session}, {"url", data.url}, {"offset", data.offset}};
  std::string body = j.dump();
  return std::string(kPrefix) + base64UrlEncode(body) + "." + base64UrlEncode(hmac(key_, body));
}

Result<ResumeData> ResumeDataCodec::decode(const std::string& raw) const {
  std::string blob = raw;
  while (!blob.empty() && std::isspace(static_cast<unsigned char>(blob.back()))) blob.pop_back();
  if (blob.size() > kMaxBlob) return tl::unexpected(invalid("longer than 16 KiB"));
  if (blob.rfind(kPrefix, 0) != 0) {
    if (blob.rfind("ferry-resume-v", 0) == 0)
      return tl::unexpected(Error(errc::resume_data_invalid, "the resume data is from a newer ferry version; resume it with that version"));
    return tl::unexpected(invalid("it does not start with ferry-resume-v1."));
  }
  std::string rest = blob.substr(kPrefix.size());
  auto dot = rest.find('.');
  if (dot == std::string::npos) return tl::unexpected(invalid("no signature"));
  auto body = base64UrlDecode(rest.substr(0, dot));
  auto mac = base64UrlDecode(rest.substr(dot + 1));
  if (!body || !mac) return tl::unexpected(invalid("not base64url"));
  auto j = nlohmann::json::parse(*body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return tl::unexpected(invalid("the payload is not JSON"));
  protocol::FieldReader in(j, "resume data");
  const auto version = in.optionalInteger("v");
  if (version && *version != 1) return tl::unexpected(invalid("unknown version"));
  auto key_id = in.optionalString("key");
  auto token = in.optionalString("token");
  auto session = in.optionalString("session");
  auto url = in.optionalString("url");
  auto offset = in.optionalUnsigned("offset");
  if (!in.ok() || !version || !key_id || !token || !session || !url || !offset)
    return tl::unexpected(invalid("a field is missing or of the wrong type"));
  ResumeData data{std::move(*key_id), std::move(*token), std::move(*session), std::move(*url), *offset};
  std::string expected = hmac(key_, *body);
  bool ok = mac->size() == expected.size() && CRYPTO_memcmp(mac->data(), expected.data(), expected.size()) == 0;
  if (!ok) {
    if (data.key_id != key_id_)
      return tl::unexpected(Error(errc::resume_data_foreign,
                                  "the resume data was made by another ferryd (another user or state directory); "
                                  "resume it there, or start the transfer again from its URL"));
    return tl::unexpected(invalid("its signature does not match: it was altered"));
  }
  return data;
}

}  // namespace ferry::daemon
