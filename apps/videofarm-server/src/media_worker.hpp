#pragma once
// Runs media_analysis on its own thread when a movie arrives, then records the result on the I/O
// thread (the catalogue is only used there): the facts always, and the generated thumbnail when
// the video has none (one sent with the form is kept). A movie that cannot be decoded keeps the
// placeholder; the reason is logged.

#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "common/worker_thread.hpp"
#include "blob_store.hpp"
#include "media_analysis.hpp"

namespace vf {

struct App;

class MediaWorker {
 public:
  MediaWorker(boost::asio::any_io_executor io, App& app);
  // Queues the video's current movie.
  void analyze(const std::string& video_id);

 private:
  struct Job {
    std::string video_id;
  };
  void run(Job& job);  // on the worker thread: reads the movie through the blob store
  void record(const std::string& video_id, const MediaAnalysis& result, BlobWriter* thumbnail);

  boost::asio::any_io_executor io_;
  App& app_;
  ferry::WorkerThread<Job> thread_;  // last: joined (its queue finished) before the rest goes
};

}  // namespace vf
