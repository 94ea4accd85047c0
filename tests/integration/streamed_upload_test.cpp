// Streamed uploads through ferryd: the body comes from the application (needNewBodyStream), once
// per attempt; a task whose application left waits for the next attach, across ferryd restarts.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <istream>
#include <mutex>
#include <streambuf>
#include <thread>

#include "harness.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

const std::string kDav = "location /dav/ { dav_methods PUT; create_full_put_path on; client_max_body_size 0; }";

// Lets a stream's reader through once released.
class Gate {
 public:
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return released_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool released_ = false;
};

// The bytes of `data` up to `stop_at`; there the reader waits at the gate, then sees the end —
// an application that leaves in the middle of its stream.
class GatedBuffer : public std::streambuf {
 public:
  GatedBuffer(std::string data, std::size_t stop_at, std::shared_ptr<Gate> gate)
      : data_(std::move(data)), stop_at_(std::min(stop_at, data_.size())), gate_(std::move(gate)) {}

 protected:
  int_type underflow() override {
    if (pos_ >= stop_at_) {
      if (stop_at_ < data_.size()) gate_->wait();
      return traits_type::eof();
    }
    const std::size_t n = std::min<std::size_t>(64 * 1024, stop_at_ - pos_);
    char* begin = data_.data() + pos_;
    setg(begin, begin, begin + n);
    pos_ += n;
    return traits_type::to_int_type(*begin);
  }

 private:
  std::string data_;
  std::size_t stop_at_;
  std::size_t pos_ = 0;
  std::shared_ptr<Gate> gate_;
};

class GatedStream : public std::istream {
 public:
  GatedStream(std::string data, std::size_t stop_at, std::shared_ptr<Gate> gate)
      : std::istream(nullptr), buffer_(std::move(data), stop_at, std::move(gate)) {
    rdbuf(&buffer_);
  }

 private:
  GatedBuffer buffer_;
};

class StreamingDelegate : public RecordingDelegate {
 public:
  StreamingDelegate(std::string data, std::size_t stop_at) : data_(std::move(data)), stop_at_(stop_at) {}
  std::unique_ptr<std::istream> needNewBodyStream(Session&, UploadTask&) override {
    ++asks_;
    return std::make_unique<GatedStream>(data_, stop_at_, gate_);
  }
  int asks() const { return asks_.load(); }
  Gate& gate() { return *gate_; }

 private:
  std::string data_;
  std::size_t stop_at_;
  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
  std::atomic<int> asks_{0};
};

std::optional<TaskInfo> taskInfo(const Ferryd& ferryd, std::uint64_t id) {
  auto control = ferryd.control();
  auto tasks = control->list();
  if (!tasks) return std::nullopt;
  for (const auto& t : *tasks)
    if (t.id == id) return t;
  return std::nullopt;
}

bool waitUntilWaitingForBody(const Ferryd& ferryd, std::uint64_t id) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    auto t = taskInfo(ferryd, id);
    if (t && t->waiting_for == "body-stream") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace

// The application leaves in the middle of its stream; the task waits for it, and the next
// attach is asked for the body again and completes the upload byte-exact.
TEST(StreamedUpload, AskedForTheBodyAgainOnReattachAfterTheApplicationLeftMidStream) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  NginxServer nginx({dir / "www", "", kDav});
  Ferryd ferryd(dir.path());
  ferryd.start();
  const std::string body = randomBytes(8 * MiB, 7);

  auto first = std::make_shared<StreamingDelegate>(body, 3 * MiB);
  auto session = Session::create(ferryd.config("streams"), first);
  ASSERT_TRUE(session);
  auto task = (*session)->uploadTaskWithStreamedRequest(Request(nginx.url("/dav/streamed.bin")), body.size());
  ASSERT_TRUE(task) << task.error().describe();
  const auto id = task->identifier();
  ASSERT_TRUE(task->resume());
  ASSERT_TRUE(first->waitFor([&] { return first->lastSent() >= static_cast<std::int64_t>(2 * MiB); }))
      << ferryd.log();
  // The application goes while its stream is stuck at 3 MiB; its stream ends short as it goes.
  std::thread leaving([&] { session->reset(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  first->gate().release();
  leaving.join();
  EXPECT_EQ(first->asks(), 1);
  ASSERT_TRUE(waitUntilWaitingForBody(ferryd, id)) << ferryd.log();
  EXPECT_FALSE(std::filesystem::exists(dir / "www/dav/streamed.bin") &&
               std::filesystem::file_size(dir / "www/dav/streamed.bin") == body.size());

  auto second = std::make_shared<StreamingDelegate>(body, body.size());
  auto again = Session::create(ferryd.config("streams"), second);
  ASSERT_TRUE(again);
  ASSERT_TRUE(second->waitForCompletion(id)) << ferryd.log();
  auto c = *second->completion(id);
  ASSERT_TRUE(c.ok()) << c.error->describe();
  EXPECT_EQ(c.status_code, 201);
  EXPECT_EQ(second->asks(), 1);
  EXPECT_EQ(readFile(dir / "www/dav/streamed.bin"), body);
}

// A task resumed while no application is attached waits ("body-stream"), still waits after a
// kill -9 of ferryd, and is sent when the application attaches.
TEST(StreamedUpload, WaitsForTheApplicationAcrossAFerrydCrash) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  NginxServer nginx({dir / "www", "", kDav});
  Ferryd ferryd(dir.path());
  ferryd.start();
  const std::string body = randomBytes(3 * MiB + 17, 8);
  std::uint64_t id = 0;
  {
    auto delegate = std::make_shared<StreamingDelegate>(body, body.size());
    auto session = Session::create(ferryd.config("later"), delegate);
    ASSERT_TRUE(session);
    auto task = (*session)->uploadTaskWithStreamedRequest(Request(nginx.url("/dav/later.bin")));  // chunked
    ASSERT_TRUE(task) << task.error().describe();
    id = task->identifier();
    EXPECT_EQ(delegate->asks(), 0);  // created suspended: nothing asked yet
  }
  auto resumed = ferryd.ferryctl({"resume", std::to_string(id)});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out;
  ASSERT_TRUE(waitUntilWaitingForBody(ferryd, id)) << ferryd.log();
  ferryd.kill9();
  ferryd.start();
  ASSERT_TRUE(waitUntilWaitingForBody(ferryd, id)) << ferryd.log();

  auto delegate = std::make_shared<StreamingDelegate>(body, body.size());
  auto session = Session::create(ferryd.config("later"), delegate);
  ASSERT_TRUE(session);
  ASSERT_TRUE(delegate->waitForCompletion(id)) << ferryd.log();
  auto c = *delegate->completion(id);
  ASSERT_TRUE(c.ok()) << c.error->describe();
  EXPECT_EQ(delegate->asks(), 1);
  EXPECT_EQ(readFile(dir / "www/dav/later.bin"), body);
}

// ferryctl upload - streams its standard input: chunked from a pipe, with Content-Length from a
// file; --detach is refused (the stream needs ferryctl to stay).
TEST(StreamedUpload, FerryctlStreamsStandardInput) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  NginxServer nginx({dir / "www", "", kDav});
  Ferryd ferryd(dir.path());
  ferryd.start();
  const std::string body = randomBytes(5 * MiB + 3, 9);
  writeFile(dir / "body.bin", body);

  auto piped = runCommand({(binDir() / "ferryctl").string(), "upload", "-", nginx.url("/dav/piped.bin")}, ferryd.env(),
                          std::chrono::seconds(120), body);
  ASSERT_EQ(piped.exit_code, 0) << piped.out << ferryd.log();
  EXPECT_EQ(readFile(dir / "www/dav/piped.bin"), body);

  auto from_file = runCommand({"sh", "-c", "exec \"$0\" upload - \"$1\" < \"$2\"", (binDir() / "ferryctl").string(),
                               nginx.url("/dav/file.bin"), (dir / "body.bin").string()},
                              ferryd.env());
  ASSERT_EQ(from_file.exit_code, 0) << from_file.out << ferryd.log();
  EXPECT_EQ(readFile(dir / "www/dav/file.bin"), body);

  auto detached = ferryd.ferryctl({"upload", "-", nginx.url("/dav/x.bin"), "--detach"});
  EXPECT_EQ(detached.exit_code, 2) << detached.out;
  EXPECT_NE(detached.out.find("standard input"), std::string::npos) << detached.out;
}
