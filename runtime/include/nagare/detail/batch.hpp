// Record batches: the unit in which records move between tasks. Inside one
// process a batch is a vector of record objects that is moved, never copied
// or encoded; when it crosses a process boundary the runtime encodes its
// records with the job's codec.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nagare/codec.hpp"
#include "nagare/owned.hpp"
#include "nagare/status.hpp"

namespace nagare::detail {

class record_batch {
 public:
  virtual ~record_batch() = default;
  virtual size_t size() const = 0;
  // Appends every record in the job's codec, back to back.
  virtual void encode(std::string& out) const = 0;
};

template <class T>
class typed_batch final : public record_batch {
 public:
  std::vector<T> records;

  size_t size() const override { return records.size(); }
  void encode(std::string& out) const override {
    for (const auto& r : records) codec<T>::encode(r, out);
  }

  // Decodes `count` records; an error if the bytes are malformed or left over.
  // Every record encodes to at least one byte, so a count above `size` is
  // refused before anything is allocated.
  static result<owned<record_batch>> decode(const char* data, size_t size, uint32_t count) {
    if (count > size) return status(errc::io_error, "batch claims more records than it has bytes");
    auto b = make_owned<typed_batch<T>>();
    b->records.resize(count);
    byte_reader in(data, size);
    for (auto& r : b->records)
      if (!codec<T>::decode(in, r)) return status(errc::io_error, "malformed record in batch");
    if (in.remaining() != 0) return status(errc::io_error, "trailing bytes after batch records");
    return owned<record_batch>(std::move(b));
  }
};

}  // namespace nagare::detail
