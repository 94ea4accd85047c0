#include "engine/segmented_attempt.hpp"

#include <unistd.h>

#include <algorithm>
#include <exception>

#include "common/files.hpp"
#include "common/human_units.hpp"
#include "engine/download_attempt.hpp"
#include "engine/download_sources.hpp"
#include "engine/http_headers.hpp"

namespace ferry::engine {

Segments planSegments(std::uint64_t total, std::uint64_t prefix, int connections) {
  if (prefix >= total) return {};
  const std::uint64_t rest = total - prefix;
  const std::uint64_t count = std::min<std::uint64_t>(static_cast<std::uint64_t>(std::max(connections, 1)),
                                                      rest / kMinSegmentBytes);
  if (count < 2) return {};
  Segments plan;
  if (prefix > 0) plan.push_back(Segment{0, prefix, prefix});
  const std::uint64_t size = rest / count;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t begin = prefix + i * size;
    plan.push_back(Segment{begin, begin, i + 1 == count ? total : begin + size});
  }
  return plan;
}

std::optional<std::size_t> stealHalf(Segments& segments, const std::vector<bool>& in_progress) {
  std::optional<std::size_t> biggest;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i >= in_progress.size() || !in_progress[i]) continue;
    if (!biggest || segments[i].remaining() > segments[*biggest].remaining()) biggest = i;
  }
  if (!biggest || segments[*biggest].remaining() < 2 * kMinSegmentBytes) return std::nullopt;
  Segment& slow = segments[*biggest];
  const std::uint64_t middle = slow.next + slow.remaining() / 2;
  const std::uint64_t end = slow.end;
  slow.end = middle;  // its transfer stops when it gets there
  segments.push_back(Segment{middle, middle, end});
  return segments.size() - 1;
}

void dropSegments(DownloadPart& down) {
  down.segments.clear();
  down.bytes_in_file = 0;
  down.resume_offset = 0;
  down.validators = {};
  // The file has the entity's length: a shorter entity fetched next must not keep its tail.
  if (down.file) (void)::ftruncate(down.file.get(), 0);
}

// One ranged request: "Range: bytes=next-(end-1)" with If-Range, filling its segment.
struct SegmentedAttempt::Transfer {
  SegmentedAttempt* owner = nullptr;
  std::size_t segment = 0;
  int source = kOwnUrl;  // or DownloadPart::mirrors' index
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::optional<std::string> too_slow;  // marked by markSlowTransfers: why its URL goes
  HeaderList headers;
  char error_buffer[CURL_ERROR_SIZE] = {};
  EasyHandle easy{curl_easy_init()};
  std::uint64_t requested_from = 0;
  bool in_multi = false;
  bool decided = false;
  bool reached_end = false;  // its segment's end came (maybe moved by a steal): stopped on purpose
  std::uint64_t written = 0;
  std::optional<AttemptOutcome> verdict;  // the answer does not fit the plan
  std::optional<Error> write_error;
};

SegmentedAttempt::SegmentedAttempt(Job& job, CURLM* multi, const EngineOptions& options, const EventSink& sink,
                                   int max_connections)
    : job_(job),
      down_(*job.download()),
      multi_(multi),
      options_(options),
      sink_(sink),
      max_connections_(std::max(max_connections, 1)) {}

Result<std::unique_ptr<SegmentedAttempt>> SegmentedAttempt::start(Job& job, CURLM* multi, const EngineOptions& options,
                                                                    const EventSink& sink, int max_connections) {
  std::unique_ptr<SegmentedAttempt> attempt(new SegmentedAttempt(job, multi, options, sink, max_connections));
  DownloadPart& down = *job.download();
  job.http_status = 206;
  sink(Responded{job.id, 206, down.bytes_in_file, down.expected_total, down.validators, job.content_type, {}, {}});
  if (!attempt->fillConnections()) return tl::unexpected(*attempt->failure_);
  return attempt;
}

SegmentedAttempt::~SegmentedAttempt() {
  for (auto& transfer : transfers_) removeTransfer(*transfer);
}

void SegmentedAttempt::removeTransfer(Transfer& transfer) {
  if (transfer.in_multi) curl_multi_remove_handle(multi_, transfer.easy.get());
  transfer.in_multi = false;
}

bool SegmentedAttempt::fillConnections() {
  std::vector<bool> in_progress(down_.segments.size(), false);
  for (const auto& transfer : transfers_) in_progress[transfer->segment] = true;
  while (static_cast<int>(transfers_.size()) < max_connections_) {
    std::optional<std::size_t> pick;
    for (std::size_t i = 0; i < down_.segments.size(); ++i) {
      const Segment& s = down_.segments[i];
      if (s.done() || in_progress[i]) continue;
      if (!pick || s.begin < down_.segments[*pick].begin) pick = i;
    }
    if (!pick) pick = stealHalf(down_.segments, in_progress);
    if (!pick) return true;
    in_progress.resize(down_.segments.size(), false);
    in_progress[*pick] = true;
    if (!startTransfer(*pick)) return false;
  }
  return true;
}

bool SegmentedAttempt::startTransfer(std::size_t segment) {
  auto transfer = std::make_unique<Transfer>();
  transfer->owner = this;
  transfer->segment = segment;
  const Segment& s = down_.segments[segment];
  transfer->requested_from = s.next;
  transfer->source = pickSource();
  const std::string* url = &urlOf(*transfer);
  if (!transfer->easy) {
    failure_ = Error(errc::internal, "Could not create a transfer handle (out of memory).");
    return false;
  }
  const std::string range = "Range: bytes=" + std::to_string(s.next) + "-" + std::to_string(s.end - 1);
  const std::string if_range = "If-Range: " + ifRangeValue(down_.validators);
  if (!appendCallerHeaders(transfer->headers, job_.request) || !appendHeader(transfer->headers, range.c_str()) ||
      !appendHeader(transfer->headers, if_range.c_str())) {
    failure_ = Error(errc::internal, "Out of memory building headers.");
    return false;
  }
  const CURLcode rc = setDownloadOptions(
      transfer->easy.get(), job_, options_,
      DownloadHandle{transfer->error_buffer, transfer->headers.get(), &SegmentedAttempt::onWrite, transfer.get(),
                     shareOf(job_.rate_limit), url});
  if (rc != CURLE_OK) {
    failure_ = Error(errc::internal, std::string("Could not configure the transfer: ") + curl_easy_strerror(rc));
    return false;
  }
  if (CURLMcode mrc = curl_multi_add_handle(multi_, transfer->easy.get()); mrc != CURLM_OK) {
    failure_ = Error(errc::internal, std::string("Could not start a transfer: ") + curl_multi_strerror(mrc));
    return false;
  }
  transfer->in_multi = true;
  transfers_.push_back(std::move(transfer));
  return true;
}

const std::string& SegmentedAttempt::urlOf(const Transfer& transfer) const { return sourceUrl(job_, transfer.source); }

int SegmentedAttempt::pickSource() const {
  auto running = [&](int source) {
    return std::count_if(transfers_.begin(), transfers_.end(),
                         [source](const std::unique_ptr<Transfer>& t) { return t->source == source; });
  };
  int best = firstUsableSource(down_);
  auto best_count = running(best);
  for (std::size_t i = 0; i < down_.mirrors.size(); ++i) {
    if (!sourceUsable(down_, static_cast<int>(i))) continue;
    const auto count = running(static_cast<int>(i));
    if (count < best_count) {
      best = static_cast<int>(i);
      best_count = count;
    }
  }
  return best;
}

namespace {
constexpr auto kSlowAfter = std::chrono::seconds(3);  // a transfer's own start-up is not slowness
constexpr double kSlowFactor = 8;                     // slower than an eighth of the fastest
}  // namespace

// A transfer's rate so far; one that has not run a second yet says little and counts as none.
double SegmentedAttempt::rateOf(const Transfer& t, std::chrono::steady_clock::time_point now) {
  const double seconds = std::chrono::duration<double>(now - t.started).count();
  return seconds >= 1 ? static_cast<double>(t.written) / seconds : 0.0;
}

// The fastest rate any transfer of this attempt reached (those that ended too: the fast ones
// finish their segments first, and the slow one is then alone).
void SegmentedAttempt::noteRate(const Transfer& t, std::chrono::steady_clock::time_point now) {
  if (const double rate = rateOf(t, now); rate > fastest_rate_) {
    fastest_rate_ = rate;
    fastest_source_ = t.source;
  }
}

void SegmentedAttempt::markSlowTransfers() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_speed_check_ < std::chrono::seconds(1)) return;
  last_speed_check_ = now;
  for (const auto& t : transfers_) noteRate(*t, now);
  for (auto& t : transfers_) {
    if (t->too_slow || t->source == fastest_source_ || now - t->started < kSlowAfter) continue;
    const double rate = rateOf(*t, now);
    if (rate * kSlowFactor >= fastest_rate_ || !anotherUsableSource(down_, t->source)) continue;
    t->too_slow = "it is too slow: " + units::humanRate(rate) + " while " + sourceUrl(job_, fastest_source_) + " gave " +
                  units::humanRate(fastest_rate_);
  }
}

namespace {

// Why a mirror's answer or transfer ended its use: the outcome's sentence.
std::string mirrorProblem(const AttemptOutcome& problem) {
  return problem.error ? problem.error->message : "it failed";
}

// The first byte of a segment's answer: whether it is the range asked for, of the same entity.
std::optional<AttemptOutcome> segmentAnswerProblem(CURL* easy, const DownloadPart& down, std::uint64_t from,
                                                   const std::string& url) {
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  if (isRetryableStatus(status)) return overloadedAnswer(easy, status, "a range of " + url);
  if (status == 206) {
    const auto range = parseContentRange(lastResponseHeader(easy, "Content-Range"));
    const std::string etag = strongEtag(lastResponseHeader(easy, "ETag"));
    const bool same_entity = (!range || !range->complete_length || range->complete_length == down.expected_total) &&
                             (etag.empty() || down.validators.etag.empty() || etag == down.validators.etag);
    if (range && range->first == from && same_entity) return std::nullopt;
  }
  // A whole answer (If-Range: the entity changed), another range or length, or a 416: the
  // segments no longer describe the server's file. They all go, and the download starts over.
  if (status == 206 || (status >= 200 && status < 300) || status == 416) {
    const std::string why = status == 206 ? " with a range of another file (another length, start or ETag)"
                                          : " to a range request with If-Range: its file is not the same one (it changed, or its "
                                            "validator differs), or it serves no ranges";
    return outcome(AttemptOutcome::Kind::restart_from_zero,
                   Error(errc::protocol, url + " answered " + describeStatus(status) + why + "."));
  }
  return permanent(errc::http_error, "The server answered " + describeStatus(status) + " for a range of " + url +
                                         "; check the URL and your access to it.");
}

}  // namespace

size_t SegmentedAttempt::onWrite(char* data, size_t size, size_t count, void* self) {
  auto& transfer = *static_cast<Transfer*>(self);
  SegmentedAttempt& attempt = *transfer.owner;
  DownloadPart& down = attempt.down_;
  size *= count;
  // No exception may cross curl's C frames (the sink or an allocation could throw).
  try {
    if (!transfer.decided) {
      transfer.decided = true;
      transfer.verdict =
          segmentAnswerProblem(transfer.easy.get(), down, transfer.requested_from, attempt.urlOf(transfer));
      // Repr-Digest describes the whole representation, so a range's answer may carry it too.
      if (!transfer.verdict) {
        if (auto repr = parseReprDigestHeader(lastResponseHeader(transfer.easy.get(), "Repr-Digest")); !repr.empty())
          (void)down.integrity.startBody(down.partial_path, 0, std::move(repr), "Repr-Digest");
      }
    }
    if (transfer.verdict || transfer.too_slow) return CURL_WRITEFUNC_ERROR;  // nothing of it is kept; the connection goes
    Segment& segment = down.segments[transfer.segment];
    const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(size, segment.remaining()));
    if (take > 0) {
      const files::WriteResult written = files::writeAll(down.file.get(), data, take, segment.next);
      segment.next += written.written;
      transfer.written += written.written;
      down.bytes_in_file += written.written;
      attempt.made_progress_ = attempt.made_progress_ || written.written > 0;
      if (written.error != 0) {
        transfer.write_error = files::errnoError(written.error, "write " + down.partial_path.string());
        return CURL_WRITEFUNC_ERROR;
      }
      attempt.job_.noteWritten(written.written, attempt.options_.progress_interval, attempt.sink_);
      if (!attempt.down_.mirrors.empty()) attempt.markSlowTransfers();
    }
    if (take < size) {  // past its end (moved by a steal): another transfer has those bytes
      transfer.reached_end = true;
      return CURL_WRITEFUNC_ERROR;
    }
    return size;
  } catch (const std::exception& e) {
    transfer.write_error = Error(errc::internal, std::string("Internal error while writing the download: ") + e.what());
  } catch (...) {
    transfer.write_error = Error(errc::internal, "Internal error while writing the download.");
  }
  return CURL_WRITEFUNC_ERROR;
}

std::optional<AttemptOutcome> SegmentedAttempt::judge(Transfer& transfer, CURLcode result) {
  if (transfer.write_error) return outcome(AttemptOutcome::Kind::permanent, transfer.write_error);
  if (transfer.too_slow) {  // its segment continues from a faster URL
    (void)dropSource(job_, transfer.source, *transfer.too_slow, sink_);
    return std::nullopt;
  }
  std::optional<AttemptOutcome> problem = judgeAnswer(transfer, result);
  if (!problem) return problem;
  // The request's own URL shows that its file changed: the plan's reference is gone.
  if (transfer.source == kOwnUrl && problem->kind == AttemptOutcome::Kind::restart_from_zero) return problem;
  // A URL's problem is the URL's: its segment continues from another, unless it is the last.
  if (!dropSource(job_, transfer.source, mirrorProblem(*problem), sink_)) return problem;
  return std::nullopt;
}

std::optional<AttemptOutcome> SegmentedAttempt::judgeAnswer(Transfer& transfer, CURLcode result) {
  if (transfer.verdict) return transfer.verdict;
  const std::string& url = urlOf(transfer);
  if (!transfer.reached_end && result != CURLE_OK)
    return classifyCurlFailure(result, transfer.error_buffer, url, job_.request.stall_timeout);
  if (!transfer.decided) {
    // An answer without a body: a range of a file is never empty.
    if (auto problem = segmentAnswerProblem(transfer.easy.get(), down_, transfer.requested_from, url)) return problem;
    return transient(errc::protocol, "The server ended a range of " + url + " without sending its bytes.");
  }
  if (!down_.segments[transfer.segment].done() && transfer.written == 0)
    return transient(errc::protocol, "The server ended a range of " + url + " without sending its bytes.");
  return std::nullopt;  // done, or ended early with bytes: another transfer continues it
}

std::optional<AttemptOutcome> SegmentedAttempt::transferDone(CURL* easy, CURLcode result) {
  auto it = std::find_if(transfers_.begin(), transfers_.end(),
                         [easy](const std::unique_ptr<Transfer>& t) { return t->easy.get() == easy; });
  if (it == transfers_.end()) return std::nullopt;
  noteRate(**it, std::chrono::steady_clock::now());
  std::optional<AttemptOutcome> verdict = judge(**it, result);
  removeTransfer(**it);
  last_ended_ = std::move(*it);
  transfers_.erase(it);
  if (!verdict && !fillConnections()) verdict = outcome(AttemptOutcome::Kind::permanent, failure_);
  if (!verdict && transfers_.empty()) verdict = verifyWhole(job_);  // every segment is done
  if (!verdict) return std::nullopt;
  for (auto& transfer : transfers_) removeTransfer(*transfer);  // one failed: the others stop with it
  transfers_.clear();
  verdict->made_progress = made_progress_;
  return verdict;
}

AttemptOutcome SegmentedAttempt::finish(CURLcode result) {
  for (auto& transfer : transfers_) removeTransfer(*transfer);
  transfers_.clear();
  AttemptOutcome out = classifyCurlFailure(result, "", job_.request.url, job_.request.stall_timeout);
  out.made_progress = made_progress_;
  return out;
}

AttemptOutcome SegmentedAttempt::verifyWhole(Job& job) {
  job.http_status = 200;  // the file holds the whole entity, as a 200 would have given it
  return verifyFile(job);
}

CURL* SegmentedAttempt::transferHandle() const {
  if (!transfers_.empty()) return transfers_.front()->easy.get();
  return last_ended_ ? last_ended_->easy.get() : nullptr;
}

std::uint64_t SegmentedAttempt::shareOf(std::uint64_t rate) const {
  if (rate == 0) return 0;
  return std::max<std::uint64_t>(rate / static_cast<std::uint64_t>(max_connections_), 1);
}

void SegmentedAttempt::setRateLimit(std::uint64_t bytes_per_second) {
  const auto share = static_cast<curl_off_t>(shareOf(bytes_per_second));
  for (auto& transfer : transfers_) curl_easy_setopt(transfer->easy.get(), CURLOPT_MAX_RECV_SPEED_LARGE, share);
}

}  // namespace ferry::engine
