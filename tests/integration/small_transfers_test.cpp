// Many small downloads (issue 15): created in batches (Session::downloadTasks, one create_downloads
// message and one store transaction per batch, each entry with its own result), finished in
// groups (their fdatasyncs side by side, one directory fsync, one transaction), and still nothing
// reported done is lost when ferryd is killed in the middle of it.

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "harness.hpp"

using namespace ferry;
using namespace ferry::test;

namespace {

// What the server holds for file i: its bytes say which file they are.
std::string smallFileContents(int i) {
  std::string body = "small file " + std::to_string(i) + "\n";
  body.resize(4096, static_cast<char>('a' + i % 26));
  return body;
}

}  // namespace

TEST(SmallTransfers, ABatchCreatesTheGoodEntriesAndRefusesEachBadOneWithItsOwnError) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  std::filesystem::create_directories(dir / "out");
  writeFile(dir / "www/a.bin", smallFileContents(1));
  writeFile(dir / "www/b.bin", smallFileContents(2));
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("batch"), delegate);
  ASSERT_TRUE(session) << session.error().describe();

  auto entry = [](std::string url, std::filesystem::path destination) {
    DownloadRequest r{Request(std::move(url)), {}};
    r.options.destination = std::move(destination);
    r.options.start = true;
    return r;
  };
  std::vector<DownloadRequest> batch{
      entry(nginx.url("/a.bin"), dir / "out/a.bin"),
      entry("http://[::1/x", dir / "out/x.bin"),                    // malformed URL
      entry(nginx.url("/a.bin"), dir / "out/missing/dir/a.bin"),     // its directory does not exist
      entry(nginx.url("/a.bin"), dir / "out"),                       // a directory, not a file
      entry("ftp://127.0.0.1/b.bin", dir / "out/ftp.bin"),           // not HTTP
      entry(nginx.url("/b.bin"), dir / "out/b.bin"),
  };
  auto results = (*session)->downloadTasks(batch);
  ASSERT_EQ(results.size(), batch.size());
  ASSERT_TRUE(results[0]) << results[0].error().describe();
  ASSERT_TRUE(results[5]) << results[5].error().describe();
  ASSERT_FALSE(results[1]);
  EXPECT_EQ(results[1].error().code, errc::bad_url) << results[1].error().describe();
  ASSERT_FALSE(results[2]);
  EXPECT_EQ(results[2].error().code, errc::not_found) << results[2].error().describe();
  EXPECT_NE(results[2].error().message.find((dir / "out/missing/dir").string()), std::string::npos)
      << results[2].error().message;
  ASSERT_FALSE(results[3]);
  EXPECT_EQ(results[3].error().code, errc::invalid_argument) << results[3].error().describe();
  EXPECT_NE(results[3].error().message.find("is a directory"), std::string::npos) << results[3].error().message;
  ASSERT_FALSE(results[4]);
  EXPECT_EQ(results[4].error().code, errc::unsupported_scheme) << results[4].error().describe();

  ASSERT_TRUE(delegate->waitForCompletion(results[0]->identifier()));
  ASSERT_TRUE(delegate->waitForCompletion(results[5]->identifier()));
  EXPECT_TRUE(delegate->completion(results[0]->identifier())->ok());
  EXPECT_TRUE(delegate->completion(results[5]->identifier())->ok());
  EXPECT_EQ(readFile(dir / "out/a.bin"), smallFileContents(1));
  EXPECT_EQ(readFile(dir / "out/b.bin"), smallFileContents(2));
  // The refused entries made no task, and the good ones have distinct ids.
  EXPECT_NE(results[0]->identifier(), results[5]->identifier());
  auto tasks = ferryd.control()->list(std::string("batch"));
  ASSERT_TRUE(tasks);
  for (const auto& t : *tasks) EXPECT_TRUE(t.id == results[0]->identifier() || t.id == results[5]->identifier()) << t.id;

  // A batch message that is wrong as a whole is refused as a whole, and ferryd goes on.
  std::vector<DownloadRequest> none;
  EXPECT_TRUE((*session)->downloadTasks(none).empty());
}

// kill -9 while 2,000 small downloads finish: every task reported done has its whole file, and
// every other task completes after the restart (each reported once in this process).
TEST(SmallTransfers, KilledWhileTwoThousandSmallDownloadsFinishLosesNothingReportedDone) {
  constexpr int kTasks = 2000;
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  std::filesystem::create_directories(dir / "out");
  for (int i = 0; i < kTasks; ++i) writeFile(dir / ("www/" + std::to_string(i)), smallFileContents(i));
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  auto delegate = std::make_shared<RecordingDelegate>();
  auto session = Session::create(ferryd.config("kill-small").maxConcurrentTransfers(16).maxConnectionsPerHost(16), delegate);
  ASSERT_TRUE(session) << session.error().describe();

  std::vector<DownloadRequest> batch;
  for (int i = 0; i < kTasks; ++i) {
    DownloadRequest r{Request(nginx.url("/" + std::to_string(i))), {}};
    r.options.destination = dir / "out" / std::to_string(i);
    r.options.start = true;
    batch.push_back(std::move(r));
  }
  auto created = (*session)->downloadTasks(batch);
  std::map<std::uint64_t, int> index_of;
  for (int i = 0; i < kTasks; ++i) {
    ASSERT_TRUE(created[i]) << i << ": " << created[i].error().describe();
    index_of[created[i]->identifier()] = i;
  }
  auto checkReportedDone = [&](const std::string& when) {
    int done = 0;
    for (const auto& [id, i] : index_of) {
      auto c = delegate->completion(id);
      if (!c) continue;
      EXPECT_TRUE(c->ok()) << when << ": task " << id << ": " << c->error->describe();
      EXPECT_EQ(readFile(dir / "out" / std::to_string(i)), smallFileContents(i)) << when << ": task " << id;
      ++done;
    }
    return done;
  };

  ASSERT_TRUE(delegate->waitFor([&] { return delegate->count("complete:") >= 100; }));
  ferryd.kill9();
  const int done_at_kill = checkReportedDone("at the kill");
  EXPECT_LT(done_at_kill, kTasks) << "every download finished before the kill; the test killed nothing";

  ferryd.start();  // the session reconnects by itself and gets the rest
  ASSERT_TRUE(delegate->waitFor([&] { return delegate->count("complete:") >= kTasks; }, std::chrono::seconds(300)))
      << delegate->count("complete:") << " of " << kTasks << " completed; ferryd log:\n" << ferryd.log();
  EXPECT_EQ(checkReportedDone("after the restart"), kTasks);
  EXPECT_EQ(delegate->count("complete:"), kTasks);  // none reported twice
  EXPECT_EQ(delegate->count("finish:"), kTasks);
}

// ferryctl download -i FILE (like aria2c -i): every good line is downloaded; each bad line is
// reported with its number, and the exit status says some were refused.
TEST(SmallTransfers, FerryctlDownloadListRunsTheGoodLinesAndNamesEachBadOne) {
  TempDir dir;
  std::filesystem::create_directories(dir / "www");
  std::filesystem::create_directories(dir / "out");
  for (int i = 0; i < 5; ++i) writeFile(dir / ("www/" + std::to_string(i)), smallFileContents(i));
  NginxServer nginx({dir / "www", "", ""});
  Ferryd ferryd(dir.path());
  ferryd.start();
  const auto out = [&](const std::string& name) { return (dir / "out" / name).string(); };
  const auto list = dir / "list.txt";
  writeFile(list, "# small files\n" +                                              // 1
                      nginx.url("/0") + " -o " + out("0") + "\n" +                  // 2
                      "\n" +                                                        // 3
                      nginx.url("/1") + " --output " + out("1") + "\n" +            // 4
                      "http://[::1/x -o " + out("x") + "\n" +                       // 5: malformed URL
                      nginx.url("/2") + " -o\n" +                                   // 6: -o without a name
                      nginx.url("/3") + " -o " + out("3") + " extra\n" +            // 7: a word too many
                      nginx.url("/4") + " -o " + out("missing/4") + "\n" +          // 8: no such directory
                      "   " + nginx.url("/4") + "   -o   " + out("4") + "  \n");    // 9
  auto r = ferryd.ferryctl({"download", "-i", list.string(), "--parallel", "4"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  for (const char* line : {":5: ", ":6: ", ":7: ", ":8: "})
    EXPECT_NE(r.out.find(list.string() + line), std::string::npos) << line << " not named in:\n" << r.out;
  EXPECT_NE(r.out.find(":5: The URL \"http://[::1/x\" is not valid"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(":6: -o needs a file name"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(":7: unexpected \"extra\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[not-found]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3 of 7 downloads done"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(":2: "), std::string::npos) << r.out;
  for (int i : {0, 1, 4}) EXPECT_EQ(readFile(out(std::to_string(i))), smallFileContents(i)) << i;
  EXPECT_FALSE(std::filesystem::exists(out("3")));

  // All good: exit 0; a download that fails (404) is exit 1, named with its line.
  writeFile(list, nginx.url("/2") + " -o " + out("2") + "\n" + nginx.url("/3") + " -o " + out("3") + "\n");
  auto good = ferryd.ferryctl({"download", "-i", list.string()});
  EXPECT_EQ(good.exit_code, 0) << good.out;
  EXPECT_EQ(readFile(out("2")), smallFileContents(2));
  EXPECT_EQ(readFile(out("3")), smallFileContents(3));
  writeFile(list, nginx.url("/2") + " -o " + out("2b") + "\n" + nginx.url("/nope") + " -o " + out("nope") + "\n");
  auto failing = ferryd.ferryctl({"download", "-i", list.string()});
  EXPECT_EQ(failing.exit_code, 1) << failing.out;
  EXPECT_NE(failing.out.find(list.string() + ":2: " + nginx.url("/nope")), std::string::npos) << failing.out;
}
