#include "catalogue_cache.hpp"

namespace vf {

std::shared_ptr<const std::string> CatalogueCache::find(const std::string& key, std::uint64_t generation) {
  if (generation != generation_) {
    entries_.clear();
    generation_ = generation;
    return nullptr;
  }
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : it->second;
}

void CatalogueCache::store(const std::string& key, std::uint64_t generation, std::shared_ptr<const std::string> text) {
  if (generation != generation_) return;  // rendered from an older state than the cache now holds
  if (entries_.size() >= max_entries_) entries_.clear();
  entries_[key] = std::move(text);
}

}  // namespace vf
