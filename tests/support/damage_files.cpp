#include "damage_files.hpp"

#include <gtest/gtest.h>
#include <leveldb/db.h>

#include <filesystem>
#include <fstream>
#include <memory>

namespace nagare::testing {

std::vector<std::string> compact_leveldb(const std::string& dir) {
  std::vector<std::string> tables;
  {
    leveldb::Options opts;  // no create_if_missing: the store must exist
    leveldb::DB* raw = nullptr;
    auto st = leveldb::DB::Open(opts, dir, &raw);
    if (!st.ok()) {
      ADD_FAILURE() << "cannot open the LevelDB in " << dir << ": " << st.ToString();
      return tables;
    }
    std::unique_ptr<leveldb::DB> db(raw);
    db->CompactRange(nullptr, nullptr);
  }
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".ldb") tables.push_back(e.path().string());
  if (tables.empty()) ADD_FAILURE() << "no table file in " << dir << " after compacting it";
  return tables;
}

size_t flip_bytes(const std::string& file, const std::vector<size_t>& offsets) {
  std::fstream f(file, std::ios::binary | std::ios::in | std::ios::out);
  if (!f) {
    ADD_FAILURE() << "cannot open " << file << " to damage it";
    return 0;
  }
  f.seekg(0, std::ios::end);
  auto size = static_cast<size_t>(f.tellg());
  size_t flipped = 0;
  for (auto at : offsets) {
    if (at >= size) continue;
    char c = 0;
    f.seekg(static_cast<std::streamoff>(at));
    f.get(c);
    f.seekp(static_cast<std::streamoff>(at));
    f.put(static_cast<char>(~c));
    ++flipped;
  }
  if (!f) ADD_FAILURE() << "cannot write to " << file;
  return flipped;
}

std::vector<size_t> every(const std::string& file, size_t step) {
  std::vector<size_t> offsets;
  std::error_code ec;
  auto size = static_cast<size_t>(std::filesystem::file_size(file, ec));
  if (ec) ADD_FAILURE() << "cannot stat " << file << ": " << ec.message();
  for (size_t at = 0; !ec && at < size; at += step) offsets.push_back(at);
  return offsets;
}

}  // namespace nagare::testing
