// Record codecs: how a record becomes bytes when it leaves its process (a
// batch to a remote task, a snapshot) and back. Inside one process records
// move as objects and are never encoded.
//
// Built in: trivially copyable types, std::string, std::pair, std::vector and
// std::optional of encodable types, std::tuple (nagare/tuple.hpp), and
// FlatBuffers tables through nagare::flat<Table> (nagare/flat.hpp). For other types specialize
// nagare::codec<T> with the two static functions shown below.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace nagare {

// Reads encoded bytes; every read checks bounds, so malformed input is an
// error, never an overrun. The bytes must outlive the reader.
class byte_reader {
 public:
  byte_reader(const char* data, size_t size) : p_(data), end_(data + size) {}

  bool read(void* out, size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    std::memcpy(out, p_, n);
    p_ += n;
    return true;
  }
  // A varint as write_varint writes it. Refuses what it never writes: more
  // than 64 bits, or more bytes than needed (a last byte of 0 after the
  // first), so that a value has one encoding and decoding is exact.
  bool read_varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64 && p_ < end_; shift += 7) {
      auto b = static_cast<unsigned char>(*p_++);
      if (shift == 63 && b > 1) return false;
      v |= uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80u)) return b != 0 || shift == 0;
    }
    return false;
  }
  // A view of the next n bytes, valid as long as the underlying buffer.
  bool view(size_t n, const char*& out) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    out = p_;
    p_ += n;
    return true;
  }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

 private:
  const char* p_;
  const char* end_;
};

inline void write_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

template <class T, class = void>
struct codec;

namespace detail {
// Types with a codec of their own below, even where they are trivially copyable.
template <class T>
struct structural : std::false_type {};
template <>
struct structural<bool> : std::true_type {};
template <class T>
struct structural<std::optional<T>> : std::true_type {};
template <class A, class B>
struct structural<std::pair<A, B>> : std::true_type {};
}  // namespace detail
// template <> struct codec<my_type> {
//   static void encode(const my_type& x, std::string& out);   // append to out
//   static bool decode(byte_reader& in, my_type& x);         // false: malformed
// };

template <class T>
struct codec<T, std::enable_if_t<std::is_trivially_copyable_v<T> && !std::is_pointer_v<T> &&
                                 !detail::structural<T>::value>> {
  static void encode(const T& x, std::string& out) {
    out.append(reinterpret_cast<const char*>(&x), sizeof(T));
  }
  static bool decode(byte_reader& in, T& x) { return in.read(&x, sizeof(T)); }
};

template <>
struct codec<bool> {
  static void encode(bool x, std::string& out) { out.push_back(x ? 1 : 0); }
  static bool decode(byte_reader& in, bool& x) {
    unsigned char b;
    if (!in.read(&b, 1) || b > 1) return false;
    x = b == 1;
    return true;
  }
};

template <>
struct codec<std::string> {
  static void encode(const std::string& x, std::string& out) {
    write_varint(out, x.size());
    out.append(x);
  }
  static bool decode(byte_reader& in, std::string& x) {
    uint64_t n;
    const char* p;
    if (!in.read_varint(n) || n > in.remaining() || !in.view(n, p)) return false;
    x.assign(p, n);
    return true;
  }
};

template <class A, class B>
struct codec<std::pair<A, B>> {
  static void encode(const std::pair<A, B>& x, std::string& out) {
    codec<A>::encode(x.first, out);
    codec<B>::encode(x.second, out);
  }
  static bool decode(byte_reader& in, std::pair<A, B>& x) {
    return codec<A>::decode(in, x.first) && codec<B>::decode(in, x.second);
  }
};

template <class T>
struct codec<std::vector<T>> {
  static void encode(const std::vector<T>& x, std::string& out) {
    write_varint(out, x.size());
    for (const auto& e : x) codec<T>::encode(e, out);
  }
  static bool decode(byte_reader& in, std::vector<T>& x) {
    uint64_t n;
    if (!in.read_varint(n) || n > in.remaining()) return false;  // every element takes >= 1 byte
    x.clear();
    x.resize(n);
    for (auto& e : x)
      if (!codec<T>::decode(in, e)) return false;
    return true;
  }
};

template <class T>
struct codec<std::optional<T>> {
  static void encode(const std::optional<T>& x, std::string& out) {
    out.push_back(x ? 1 : 0);
    if (x) codec<T>::encode(*x, out);
  }
  static bool decode(byte_reader& in, std::optional<T>& x) {
    unsigned char present;
    if (!in.read(&present, 1) || present > 1) return false;  // 0 or 1, as encode() writes
    if (!present) {
      x.reset();
      return true;
    }
    x.emplace();
    return codec<T>::decode(in, *x);
  }
};

// Encodes one value (convenience for tests and snapshots).
template <class T>
std::string encode(const T& x) {
  std::string out;
  codec<T>::encode(x, out);
  return out;
}

}  // namespace nagare
