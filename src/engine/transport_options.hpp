#pragma once
// A job's TransportSettings (model/transport.hpp) as curl options, set on every attempt's easy
// handle by downloads and uploads alike, and the check that the files they name can be read
// (ferryd runs it when a session is configured; every attempt runs it again, since a file may go
// away later).

#include <curl/curl.h>

#include <filesystem>
#include <string_view>

#include "common/error.hpp"
#include "model/transport.hpp"

namespace ferry::engine {

// Each file the settings name (CA file, client certificate, key) is a readable regular file.
// The error (with `code`) names the setting and the file and says what to do.
Result<void> checkTransportFiles(const model::TransportSettings& transport, std::string_view code);

// Sets CURLOPT_PROXY / NOPROXY / CAINFO / SSLCERT / SSLKEY / HTTP_VERSION on `easy` from
// `transport`; `ca_bundle` (EngineOptions::ca_bundle) is the CA file when the job names none.
// Options the settings leave empty are not set, so libcurl's defaults (and the environment's
// proxy variables) apply.
CURLcode applyTransport(CURL* easy, const model::TransportSettings& transport,
                        const std::filesystem::path& ca_bundle);

}  // namespace ferry::engine
