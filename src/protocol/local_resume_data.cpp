#include "protocol/local_resume_data.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/base64.hpp"
#include "common/files.hpp"
#include "protocol/field_reader.hpp"
#include "protocol/messages.hpp"

namespace ferry::protocol {
namespace {

constexpr std::string_view kLocalPrefix = "ferry-local-resume-v1.";
constexpr std::size_t kMaxLocalBlob = 16 * 1024;

Error invalidBlob(const std::string& why) {
  return Error(errc::resume_data_invalid,
               "the resume data is not valid (" + why + "); start the transfer again from its URL");
}

Error staleBlob() {
  return Error(errc::resume_data_stale,
               "the resume data was already used, or its partial file is gone or changed; start the transfer again from its URL");
}

bool validToken(const std::string& token) {
  if (token.size() != 32) return false;
  for (char c : token)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

Json identityToJson(const model::FileIdentity& id) {
  return Json{{"size", id.size}, {"mtime_ns", id.mtime_ns}, {"device", id.device}, {"inode", id.inode}};
}

struct Sidecar {
  LocalResume what;
  model::FileIdentity identity;
};

Result<Sidecar> readSidecar(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return tl::unexpected(staleBlob());
  std::stringstream text;
  text << in.rdbuf();
  auto j = Json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return tl::unexpected(invalidBlob("its record is damaged"));
  FieldReader r(j, "resume record");
  Sidecar s;
  if (const Json* request = r.object("request")) {
    if (auto decoded = r.take(requestFromJson(*request))) s.what.request = std::move(*decoded);
  } else {
    r.problem("request is missing");
  }
  s.what.offset = r.unsignedInteger("offset");
  s.what.validators.etag = r.string("etag");
  s.what.validators.last_modified = r.string("last_modified");
  s.what.expected_total = r.optionalUnsigned("expected_total");
  if (const std::string segments = r.string("segments", ""); !segments.empty()) {
    auto parsed = model::segmentsFromText(segments, s.what.expected_total);
    if (!parsed || model::bytesFilled(*parsed) != s.what.offset) r.problem("segments are damaged");
    else s.what.segments = std::move(*parsed);
  }
  if (const Json* id = r.object("identity")) {
    FieldReader i(*id, "resume record identity");
    s.identity.size = i.unsignedInteger("size");
    s.identity.mtime_ns = i.integer("mtime_ns");
    s.identity.device = i.unsignedInteger("device");
    s.identity.inode = i.unsignedInteger("inode");
    if (!i.ok()) r.problem("identity is damaged");
  }
  auto done = r.finish(std::move(s));
  if (!done) return tl::unexpected(invalidBlob(done.error().message));
  return done;
}

}  // namespace

std::filesystem::path LocalResumeStore::defaultDirectory() {
  if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache && *cache == '/')
    return std::filesystem::path(cache) / "ferry" / "resume";
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home && *home ? home : "/tmp") / ".cache" / "ferry" / "resume";
}

bool LocalResumeStore::isLocalBlob(const std::string& blob) { return blob.rfind(kLocalPrefix, 0) == 0; }

Result<LocalResumeStore> LocalResumeStore::open(const std::filesystem::path& directory) {
  std::error_code ec;
  std::filesystem::create_directories(directory.parent_path(), ec);
  if (auto made = files::makePrivateDirectory(directory); !made) return tl::unexpected(made.error());
  auto key = SigningKey::open(directory / "KEY");
  if (!key) return tl::unexpected(key.error());
  return LocalResumeStore(directory, std::move(*key));
}

Result<std::string> LocalResumeStore::keep(const std::filesystem::path& partial, const LocalResume& what) const {
  const std::string token = randomHex(16);
  const auto kept = dir_ / (token + ".partial");
  // A segmented file keeps its length: its bytes are where the segments say.
  if (what.segments.empty()) {
    if (auto cut = files::truncateTo(partial, what.offset); !cut) return tl::unexpected(cut.error());
  }
  if (auto moved = files::moveDurably(partial, kept); !moved) return tl::unexpected(moved.error());
  auto identity = files::fileIdentity(kept);
  if (!identity) return tl::unexpected(identity.error());
  Json record{{"request", requestToJson(what.request)},
              {"offset", what.offset},
              {"etag", what.validators.etag},
              {"last_modified", what.validators.last_modified},
              {"identity", identityToJson(*identity)}};
  if (what.expected_total) record["expected_total"] = *what.expected_total;
  if (!what.segments.empty()) record["segments"] = model::segmentsToText(what.segments);
  const auto sidecar = dir_ / (token + ".json");
  {
    std::ofstream out(sidecar, std::ios::trunc);
    out << record.dump();
    if (!out) return fail(errc::io, "could not write " + sidecar.string() + "; check the disk");
  }
  std::filesystem::permissions(sidecar, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  Json blob{{"v", what.segments.empty() ? 1 : 2}, {"key", key_.id()}, {"token", token}, {"url", what.request.url}, {"offset", what.offset}};
  const std::string body = blob.dump();
  return std::string(kLocalPrefix) + base64UrlEncode(body) + "." + base64UrlEncode(key_.sign(body));
}

Result<LocalResumeStore::Claim> LocalResumeStore::check(const std::string& raw) const {
  std::string blob = raw;
  while (!blob.empty() && std::isspace(static_cast<unsigned char>(blob.back()))) blob.pop_back();
  if (blob.size() > kMaxLocalBlob) return tl::unexpected(invalidBlob("longer than 16 KiB"));
  if (!isLocalBlob(blob)) return tl::unexpected(invalidBlob("it does not start with ferry-local-resume-v1."));
  const std::string rest = blob.substr(kLocalPrefix.size());
  const auto dot = rest.find('.');
  if (dot == std::string::npos) return tl::unexpected(invalidBlob("no signature"));
  auto body = base64UrlDecode(rest.substr(0, dot));
  auto mac = base64UrlDecode(rest.substr(dot + 1));
  if (!body || !mac) return tl::unexpected(invalidBlob("not base64url"));
  auto j = Json::parse(*body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return tl::unexpected(invalidBlob("the payload is not JSON"));
  FieldReader in(j, "resume data");
  const auto key_id = in.string("key");
  const auto token = in.string("token");
  const auto version = in.unsignedInteger("v");
  if (!in.ok() || (version != 1 && version != 2) || !validToken(token))
    return tl::unexpected(invalidBlob("a field is missing or of the wrong type"));
  if (!key_.verify(*body, *mac)) {
    if (key_id != key_.id())
      return fail(errc::resume_data_foreign,
                  "the resume data was made by another user's or machine's Ferry; resume it there, or start the transfer again from its URL");
    return tl::unexpected(invalidBlob("its signature does not match: it was altered"));
  }
  Claim c;
  c.record = dir_ / (token + ".json");
  c.partial = dir_ / (token + ".partial");
  auto sidecar = readSidecar(c.record);
  if (!sidecar) return tl::unexpected(sidecar.error());
  auto identity = files::fileIdentity(c.partial);
  if (!identity || *identity != sidecar->identity) return tl::unexpected(staleBlob());
  c.what = std::move(sidecar->what);
  return c;
}

Result<void> LocalResumeStore::claim(const Claim& c, const std::filesystem::path& into) {
  if (!std::filesystem::exists(c.record)) return tl::unexpected(staleBlob());  // taken meanwhile
  if (auto moved = files::moveDurably(c.partial, into); !moved) return tl::unexpected(staleBlob());
  std::error_code ec;
  std::filesystem::remove(c.record, ec);  // single use
  return {};
}

Result<LocalResume> LocalResumeStore::take(const std::string& blob, const std::filesystem::path& into) const {
  auto checked = check(blob);
  if (!checked) return tl::unexpected(checked.error());
  if (auto claimed = claim(*checked, into); !claimed) return tl::unexpected(claimed.error());
  return checked->what;
}

}  // namespace ferry::protocol
