#pragma once
// The --blob-store value: "local" (or empty: the data directory) or
// rados://POOL?conf=PATH&id=CLIENT (Ceph RADOS). Checked before anything connects, so that a
// malformed value is a start-up error that says what is wrong and what is expected.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace vf {

struct RadosLocation {
  std::string pool;
  std::string conf = "/etc/ceph/ceph.conf";  // the cluster's ceph.conf (monitors, keyring)
  std::string client_id = "admin";           // the cephx user, without "client."
};

class BlobStore;

// nullopt: the local directory. An error names what is wrong in the value.
ferry::Result<std::optional<RadosLocation>> parseBlobStoreUrl(std::string_view spec);

// Connects to the cluster and checks the pool (rados_blob_store.cpp); an error says what failed.
ferry::Result<std::unique_ptr<BlobStore>> openRadosBlobStore(const RadosLocation& where);

}  // namespace vf
