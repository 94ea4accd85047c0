#pragma once
// Rendered answers of the catalogue's reads (GET /videos pages, GET /videos/ID), kept while the
// catalogue's generation (VideoCatalog::generation) stays the same. Every read asks the catalogue
// for its generation first, so an answer is never older than the last change committed by any
// instance before the read began: a list read right after a POST, PUT or DELETE shows it. One
// cache per I/O thread (no locks); it forgets everything when the generation moves or it is full.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

namespace vf {

class CatalogueCache {
 public:
  explicit CatalogueCache(std::size_t max_entries = 4096) : max_entries_(max_entries) {}

  // The text stored for `key` at `generation`, or null.
  std::shared_ptr<const std::string> find(const std::string& key, std::uint64_t generation);
  void store(const std::string& key, std::uint64_t generation, std::shared_ptr<const std::string> text);

 private:
  std::size_t max_entries_;
  std::uint64_t generation_ = 0;
  std::unordered_map<std::string, std::shared_ptr<const std::string>> entries_;
};

}  // namespace vf
