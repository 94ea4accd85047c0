#include "engine/download_sources.hpp"

namespace ferry::engine {

bool sourceUsable(const DownloadPart& down, int source) {
  if (source == kOwnUrl) return down.own_url_dropped.empty();
  return source >= 0 && static_cast<std::size_t>(source) < down.mirrors.size() &&
         down.mirrors[static_cast<std::size_t>(source)].dropped.empty();
}

bool anotherUsableSource(const DownloadPart& down, int source) {
  if (source != kOwnUrl && sourceUsable(down, kOwnUrl)) return true;
  for (std::size_t i = 0; i < down.mirrors.size(); ++i)
    if (static_cast<int>(i) != source && sourceUsable(down, static_cast<int>(i))) return true;
  return false;
}

int firstUsableSource(const DownloadPart& down) {
  if (sourceUsable(down, kOwnUrl)) return kOwnUrl;
  for (std::size_t i = 0; i < down.mirrors.size(); ++i)
    if (sourceUsable(down, static_cast<int>(i))) return static_cast<int>(i);
  return kOwnUrl;  // not reached: the last URL in use is never dropped
}

const std::string& sourceUrl(const Job& job, int source) {
  if (source == kOwnUrl) return job.request.url;
  return job.download()->mirrors[static_cast<std::size_t>(source)].url;
}

bool dropSource(Job& job, int source, const std::string& reason, const EventSink& sink) {
  DownloadPart& down = *job.download();
  if (!sourceUsable(down, source) || !anotherUsableSource(down, source)) return false;
  if (source == kOwnUrl) down.own_url_dropped = reason;
  else down.mirrors[static_cast<std::size_t>(source)].dropped = reason;
  sink(MirrorDropped{job.id, sourceUrl(job, source), reason});
  return true;
}

bool isSourceFailure(const Error& error) {
  return error.is(errc::http_error) || error.is(errc::network) || error.is(errc::timeout) || error.is(errc::tls) ||
         error.is(errc::protocol);
}

}  // namespace ferry::engine
