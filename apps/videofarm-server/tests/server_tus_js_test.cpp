// Interop with a client nobody here wrote: tus-js-client (npm, run by node), once in its default
// tus 1.0.0 mode and once with protocol 'ietf-draft-05' (IETF interop version 6), each uploading
// through a proxy that cuts the connection once in the middle of the PATCH.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "server_fixture.hpp"

namespace vf::test {
namespace {
using ferry::test::runCommand;
using ferry::test::sha256File;
using ferry::test::sha256Bytes;
using ferry::test::TempDir;

const std::filesystem::path kNodeDir = VF_NODE_DIR;

void uploadWithTusJs(const std::string& protocol) {
  if (!std::filesystem::exists(kNodeDir / "node_modules/tus-js-client/package.json") ||
      runCommand({"sh", "-c", "command -v node"}).exit_code != 0)
    // scripts/install-deps.sh installs node and npm, and the build runs `npm ci`: a missing client
    // is a broken set-up, not a reason to pass quietly.
    FAIL() << "node or tus-js-client missing (the build runs `npm ci` into " << kNodeDir
           << "; see npm.log there)";
  ServerProcess server;
  TempDir tmp;
  auto file = tmp / "movie.bin";
  ferry::test::writeRandomFile(file, 3'000'000, 11);
  std::string id = createVideo(server, "tus-js " + protocol, false);
  auto run = runCommand({"node", (kNodeDir / "tus_interop.mjs").string(), std::to_string(server.port()), id,
                         file.string(), protocol},
                        {}, std::chrono::seconds(60));
  ASSERT_EQ(run.exit_code, 0) << run.out << server.log();
  EXPECT_NE(run.out.find("cut=1"), std::string::npos) << run.out;  // the proxy did cut once
  auto movie = curl({server.url("/videos/" + id + "/movie")});
  ASSERT_EQ(movie.status, 200);
  EXPECT_EQ(sha256Bytes(movie.body), sha256File(file));
  EXPECT_EQ(nlohmann::json::parse(curl({server.url("/videos/" + id)}).body)["upload_state"], "ready");
}

TEST(VideoFarmTusJs, Tus1WithOneCut) { uploadWithTusJs("tus"); }
TEST(VideoFarmTusJs, IetfDraft05WithOneCut) { uploadWithTusJs("ietf-draft-05"); }

}  // namespace
}  // namespace vf::test
