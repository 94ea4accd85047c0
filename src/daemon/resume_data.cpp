#include "daemon/resume_data.hpp"

#include <cctype>

#include <nlohmann/json.hpp>

#include "common/base64.hpp"
#include "common/signing_key.hpp"
#include "protocol/field_reader.hpp"

namespace ferry::daemon {
namespace {

constexpr std::string_view kPrefix = "ferry-resume-v1.";
constexpr std::size_t kMaxBlob = 16 * 1024;

Error invalid(const std::string& why) {
  return Error(errc::resume_data_invalid,
               "the resume data is not valid (" + why + "); start the transfer again from its URL");
}

}  // namespace

std::string randomToken() { return randomHex(16); }

Result<ResumeDataCodec> ResumeDataCodec::open(const std::filesystem::path& key_file) {
  auto key = SigningKey::open(key_file);
  if (!key) return tl::unexpected(key.error());
  return ResumeDataCodec(std::move(*key));
}

std::string ResumeDataCodec::encode(ResumeData data) const {
  nlohmann::json j{{"v", data.version}, {"key", key_.id()},       {"token", data.token},
                   {"session", data.session}, {"url", data.url}, {"offset", data.offset}};
  std::string body = j.dump();
  return std::string(kPrefix) + base64UrlEncode(body) + "." + base64UrlEncode(key_.sign(body));
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
  if (version && *version != 1 && *version != 2) return tl::unexpected(invalid("unknown version"));
  auto key_id = in.optionalString("key");
  auto token = in.optionalString("token");
  auto session = in.optionalString("session");
  auto url = in.optionalString("url");
  auto offset = in.optionalUnsigned("offset");
  if (!in.ok() || !version || !key_id || !token || !session || !url || !offset)
    return tl::unexpected(invalid("a field is missing or of the wrong type"));
  ResumeData data{std::move(*key_id), std::move(*token), std::move(*session), std::move(*url), *offset,
                  static_cast<int>(*version)};
  if (!key_.verify(*body, *mac)) {
    if (data.key_id != key_.id())
      return tl::unexpected(Error(errc::resume_data_foreign,
                                  "the resume data was made by another ferryd (another user or state directory); "
                                  "resume it there, or start the transfer again from its URL"));
    return tl::unexpected(invalid("its signature does not match: it was altered"));
  }
  return data;
}

}  // namespace ferry::daemon
