// openBlobStore: the --blob-store value to a store.
#include "blob_store.hpp"
#include "blob_store_url.hpp"

namespace vf {

ferry::Result<std::unique_ptr<BlobStore>> openBlobStore(const std::string& spec, const std::string& data_dir) {
  auto where = parseBlobStoreUrl(spec);
  if (!where) return tl::unexpected(where.error());
  if (!*where) return openLocalBlobStore(data_dir);
  return openRadosBlobStore(**where);
}

}  // namespace vf
