// A lookup's cache (nagare/lookup.hpp): key -> value or "not in the table",
// least recently used evicted beyond `capacity` entries, an entry expiring
// `ttl_ms` after it was written (0: never). One thread only (the task's).
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

namespace nagare::detail {

class lookup_cache {
 public:
  lookup_cache(uint32_t capacity, uint32_t ttl_ms) : capacity_(capacity), ttl_ms_(ttl_ms) {}

  // The entry of `key` if present and fresh at `now_ms` (it becomes the most
  // recently used); an expired one is removed.
  const std::optional<std::string>* find(const std::string& key, int64_t now_ms);
  void put(const std::string& key, std::optional<std::string> value, int64_t now_ms);
  size_t size() const { return index_.size(); }

 private:
  struct entry {
    std::string key;
    std::optional<std::string> value;
    int64_t written = 0;
  };
  uint32_t capacity_;
  uint32_t ttl_ms_;
  std::list<entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<entry>::iterator> index_;
};

}  // namespace nagare::detail
