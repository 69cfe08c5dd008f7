// Checking a job library before dlopen maps it. dlopen trusts a file's
// headers: a library cut short still gets its segments mapped past the end of
// the file, and the first access to them kills the process with SIGBUS, with
// no message. These checks find that, and other damage to the headers,
// beforehand.
//
// A library passes when it has a sane size (an ELF header's 64 bytes up to
// max_job_library_bytes), the ELF magic, class 64-bit, this machine's byte
// order and architecture, type ET_DYN (a shared library), a program header
// table inside the file, every PT_LOAD segment's file range (p_offset +
// p_filesz) inside the file, and a section header table that is absent or
// inside the file. It does not look into the segments' contents: bytes
// damaged there are the content hash's to find (library_hash.hpp).
//
// Failures are errc::library_error with one line that names the file and what
// is wrong ("'F' is not a loadable shared library: ..."); errc::io_error and
// not_found when a file cannot be read. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "nagare/status.hpp"

namespace nagare {

// The largest job library Nagare loads, ships to a coordinator or caches.
constexpr uint64_t max_job_library_bytes = uint64_t{1} << 30;

// Checks a library's whole image in memory; `name` names it in the message.
status check_elf_image(std::string_view bytes, const std::string& name);

// Checks the library file at path, reading only its headers.
status check_elf_file(const std::string& path);

}  // namespace nagare
