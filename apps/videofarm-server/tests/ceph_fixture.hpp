#pragma once
// A real single-node Ceph cluster for tests, in a temporary directory: one ceph-mon and one
// ceph-osd with the memstore object store (objects in memory, written to its directory when the
// OSD stops cleanly), msgr v1 on 127.0.0.1 only, no cephx. About 5-10 s from monmaptool to a
// pool, so a test program starts one and shares it (a pool per test).

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/fixtures.hpp"
#include "support/process.hpp"

namespace vf::test {

// Empty when ceph-mon, ceph-osd, monmaptool, ceph and rados are all installed; else what is missing.
std::string cephMissing();

class CephCluster {
 public:
  CephCluster();  // throws with the daemons' logs when the cluster does not come up
  ~CephCluster();
  CephCluster(const CephCluster&) = delete;
  CephCluster& operator=(const CephCluster&) = delete;

  const std::filesystem::path& conf() const { return conf_; }
  // A new replicated pool of size 1 (8 placement groups), ready for I/O.
  void createPool(const std::string& pool);
  // --blob-store for a pool, as the client "admin". With `op_timeout_s`, through a ceph.conf of its
  // own that gives the client that operation timeout (the server's default is 30 s).
  std::string blobStoreUrl(const std::string& pool, int op_timeout_s = 0) const;
  // The pool's object names, sorted.
  std::vector<std::string> objects(const std::string& pool) const;
  // Stops the OSD cleanly (memstore keeps its objects) and waits for it to be gone.
  void stopOsd();
  // Starts it again and waits until it is up.
  void startOsd();

 private:
  ferry::test::CommandResult ceph(const std::vector<std::string>& args) const;
  void waitForOsdUp();
  std::string logs() const;

  ferry::test::TempDir dir_{"vf-ceph"};
  std::filesystem::path conf_;
  std::unique_ptr<ferry::test::Process> mon_;
  std::unique_ptr<ferry::test::Process> osd_;
};

}  // namespace vf::test
