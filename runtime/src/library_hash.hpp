// The content hash that names a job library: the client computes it, the
// coordinator stores the library under it (metadata_store.hpp) and nodes cache
// the library as DATA/libraries/<hash>.so (library_cache.hpp). SHA-256 since
// issue 13; builds before that used a 128-bit non-cryptographic hash (32 hex
// digits), which a coordinator upgrades in its metadata when it starts
// (coordinator_books.hpp).
#pragma once

#include <string>
#include <string_view>

namespace nagare {

// SHA-256 of the library's bytes, 64 lower-case hex digits.
std::string library_hash(std::string_view bytes);

// Whether text has the form of a library_hash (64 lower-case hex digits).
bool is_library_hash(std::string_view text);

// The hash of builds before issue 13 (two seeded hash_bytes, 32 hex digits),
// kept only to verify and upgrade libraries stored under it.
std::string legacy_library_hash(std::string_view bytes);
bool is_legacy_library_hash(std::string_view text);

}  // namespace nagare
