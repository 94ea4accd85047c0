#pragma once
// The store's own encoding of what its rows keep as JSON: a task's `request_json` (the request
// and its scheduling; a resume token's also the upload it continues, under "upload") and
// `upload_json`, and a session's `configuration_json`.
//
// Why not the wire's JSON: the protocol (src/protocol) may change a field for applications
// without it being a schema migration, and a stored row may hold what the wire no longer
// accepts. So the store writes and reads these columns itself, in a format that changes only with
// a migration. The format is that of ferryd 0.1.0 (tests/fixtures/state-0.1.0-schema3.sql and
// tests/integration/store_migration_test.cpp hold it to that). Rows are written only by ferryd:
// a row that does not decode is damaged, reported as errc::internal, never guessed at.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "model/file_identity.hpp"
#include "model/http_request.hpp"
#include "model/session_config.hpp"
#include "model/scheduling.hpp"
#include "model/upload_options.hpp"

namespace ferry::store {

// What only an upload task has (its `upload_json`).
struct StoredUpload {
  std::filesystem::path body;  // absolute: the application's file, or our spool copy
  bool spooled = false;
  model::FileIdentity identity;
  model::ResumableMode mode = model::ResumableMode::ietf;
  model::RedirectPolicy redirects = model::RedirectPolicy::follow;
  std::string upload_url;
  std::uint64_t confirmed_offset = 0;
  bool stream = false;
  std::optional<std::uint64_t> stream_length;
};

// What `request_json` holds.
struct StoredRequest {
  model::HttpRequest request;
  model::Scheduling scheduling;
  std::optional<StoredUpload> upload;  // resume tokens of uploads only
};

std::string encodeRequest(const StoredRequest& stored);
Result<StoredRequest> decodeRequest(std::string_view json);
std::string encodeUpload(const StoredUpload& upload);
Result<StoredUpload> decodeUpload(std::string_view json);

// What a session's `configuration_json` holds.
struct StoredSession {
  model::SessionConfig config;
  bool invalidating = false;  // finishTasksAndInvalidate / invalidateAndCancel asked, not yet acknowledged
};
std::string encodeSession(const StoredSession& session);
Result<StoredSession> decodeSession(std::string_view json);

}  // namespace ferry::store
