// A lookup's cache (nagare/lookup.hpp): key -> value or "not in the table",
// least recently used evicted beyond `capacity` entries, an entry expiring
// `ttl_ms` after it was written (0: never). One thread only (the task's).
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

namespace nagare::detail {

class lookup_cache {
 public:
  lookup_cache(uint32_t capacity, uint32_t ttl_ms) : capacity_(capacity), ttl_ms_(ttl_ms) {}

  // The entry of `key` if present and fresh at `now_ms` (it becomes the most
  // recently used): a null value is "not in the table"; a null pointer, no
  // entry. An expired one is removed.
  using value_ptr = std::shared_ptr<const std::string>;
  const value_ptr* find(const std::string& key, int64_t now_ms);
  void put(const std::string& key, value_ptr value, int64_t now_ms);
  size_t size() const { return index_.size(); }

 private:
  struct entry {
    std::string key;
    value_ptr value;
    int64_t written = 0;
  };
  uint32_t capacity_;
  uint32_t ttl_ms_;
  std::list<entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<entry>::iterator> index_;
};

}  // namespace nagare::detail
