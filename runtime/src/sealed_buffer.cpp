#include "sealed_buffer.hpp"

#include <cstring>

#include "nagare/hash.hpp"

namespace nagare {

namespace {

constexpr size_t header_size = 16;

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get_le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

}  // namespace

std::string seal(const seal_magic& magic, uint32_t version, const void* body, size_t size) {
  std::string out;
  out.reserve(header_size + size);
  out.append(magic, sizeof magic);
  put_le(out, version, 4);
  put_le(out, hash_bytes(body, size), 8);
  out.append(static_cast<const char*>(body), size);
  return out;
}

unsealed unseal(std::string_view bytes, const seal_magic& magic, uint32_t version) {
  unsealed u;
  if (bytes.size() < header_size) {
    u.damage = seal_damage::damaged;
    u.why = std::to_string(bytes.size()) + " bytes, shorter than its header";
    return u;
  }
  if (std::memcmp(bytes.data(), magic, sizeof magic) != 0) {
    u.damage = seal_damage::foreign;
    return u;
  }
  u.found_version = static_cast<uint32_t>(get_le(bytes.data() + 4, 4));
  if (u.found_version != version) {
    u.damage = seal_damage::version;
    return u;
  }
  auto body = bytes.substr(header_size);
  if (get_le(bytes.data() + 8, 8) != hash_bytes(body.data(), body.size())) {
    u.damage = seal_damage::damaged;
    u.why = "checksum mismatch";
    return u;
  }
  u.body = body;
  return u;
}

}  // namespace nagare
