// The end of a job: its Finished event (the last for its id), made from what the job's part
// knows, after the job and its files are gone.

#include "engine/engine_impl.hpp"

namespace ferry::engine {

namespace {

// What a download's Finished says: the bytes in the partial file (or, kept in memory, the bytes
// themselves), and whether a new job can continue them.
void describeDownload(Finished& finished, DownloadPart& down, const std::optional<Error>& error) {
  finished.total_written = down.bytes_in_file;
  if (down.memory) finished.memory_body = std::move(down.memory->bytes);
  finished.expected_total = down.expected_total;
  finished.validators = down.validators;
  finished.segments = down.segments;
  if (error) {
    const bool continuable = down.bytes_in_file > 0 && !down.validators.empty();
    finished.resumable = error->is(errc::no_space) ||
                         (continuable && (error->is(errc::cancelled) || error->is(errc::resource_timeout)));
  }
}

// What an upload's Finished says: the bytes sent, the answer, and the upload resource a new job
// can continue.
void describeUpload(Finished& finished, const UploadPart& up, const std::optional<Error>& error) {
  auto& result = finished.upload.emplace();
  result.total_sent = up.total_sent;
  result.body_length = up.body_length;
  if (!up.response_body_path.empty() && up.response_file) result.response_body_path = up.response_body_path;
  result.response_body_bytes = up.response_bytes;
  result.response_body_truncated = up.response_truncated;
  result.final_url = up.final_url;
  result.upload_url = up.upload_url;
  result.confirmed_offset = up.confirmed_offset;
  result.completed_before = up.completed_before;
  finished.expected_total = up.content_length;
  finished.resumable = error && (error->is(errc::cancelled) || error->is(errc::resource_timeout)) &&
                       up.protocol->resumable() && !up.upload_url.empty();
}

}  // namespace

// Ends the job in whatever state it is: the Finished is the last event for its id.
void Engine::Impl::finishJob(Job& job, std::optional<Error> error) {
  leaveState(job);
  job.flushProgress(sink);
  Finished finished;
  finished.id = job.id;
  finished.http_status = job.http_status;
  finished.content_type = job.content_type;
  if (const UploadPart* up = job.upload())
    describeUpload(finished, *up, error);
  else
    describeDownload(finished, *job.download(), error);
  finished.error = std::move(error);
  finished.metrics = std::move(job.metrics);
  jobs.erase(job.id);  // closes the files before the owner hears of it
  sink(std::move(finished));
}

}  // namespace ferry::engine
