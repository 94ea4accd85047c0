#pragma once
// The URLs one download may fetch from (docs/architecture.md "Segmented downloads", mirrors): its
// request's own and HttpRequest::mirrors, each used until it fails, shows another file or is too
// slow; then it is dropped for the job (MirrorDropped tells the owner why). The last URL in use
// is never dropped: its failure is the download's, which backs off and tries it again. So a
// download fails only when every URL has.

#include <string>

#include "common/error.hpp"
#include "engine/job.hpp"

namespace ferry::engine {

inline constexpr int kOwnUrl = -1;  // a source: the request's own URL; 0, 1, ...: a mirror's index

bool sourceUsable(const DownloadPart& down, int source);
bool anotherUsableSource(const DownloadPart& down, int source);
// The request's own URL while it is used, else the first mirror still used.
int firstUsableSource(const DownloadPart& down);
const std::string& sourceUrl(const Job& job, int source);
// Stops using `source` for this job, telling the owner (MirrorDropped). False, and nothing
// dropped, when it is the last URL in use or was dropped already.
bool dropSource(Job& job, int source, const std::string& reason, const EventSink& sink);
// A failure that belongs to the URL (its server's answer, its connection, its TLS), not to this
// machine (the disk, the digest of the bytes): another URL may do better.
bool isSourceFailure(const Error& error);

}  // namespace ferry::engine
