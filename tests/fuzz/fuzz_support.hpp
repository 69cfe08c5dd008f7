// What every fuzz target shares. A target is a plain function over bytes,
// `int fuzz_<name>(const uint8_t*, size_t)` (fuzz_targets.hpp), that feeds
// them to the decoder production code calls and checks invariants on what
// comes back. The fuzz build wraps it in LLVMFuzzerTestOneInput
// (NAGARE_FUZZ_ENTRY); the unit tests call it on every file of the corpus
// and the regressions (tests/unit/fuzz_replay_test.cpp).
//
// A broken invariant calls fail(): by default it prints the target and what
// broke and aborts, so that libFuzzer keeps the input; a test that installs
// a handler (set_failure_handler) gets the message instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_targets.hpp"

namespace nagare::fuzz {

// Must not return (throw, or end the process).
using failure_handler = void (*)(const std::string& message);
// nullptr: print and abort (the default).
void set_failure_handler(failure_handler h);

[[noreturn]] void fail(const char* target, const std::string& what);

inline std::string_view view(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Sealed buffers (runtime/src/sealed_buffer.hpp) carry a checksum that a
// mutation almost never keeps: the targets decode their input as it is and
// once more with the checksum of bytes [at, end) put right, so that the
// fuzzer reaches what lies behind it. Does nothing if the header does not fit.
void reseal(std::string& bytes, size_t at, size_t end);
// A snapshot stream (runtime/src/snapshot_stream.hpp) with the checksum of
// every frame whose header is readable put right.
std::string reseal_snapshot(std::string bytes);

// Reads the fuzz input front to back: the targets that need several values
// (a selector, a size) take them from its head.
class input {
 public:
  input(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  uint8_t byte() { return p_ < end_ ? *p_++ : 0; }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{byte()} << (8 * i);
    return v;
  }
  std::string rest() {
    std::string s(reinterpret_cast<const char*>(p_), static_cast<size_t>(end_ - p_));
    p_ = end_;
    return s;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace nagare::fuzz

// A broken invariant of target `target` (a string literal).
#define NAGARE_FUZZ_CHECK(target, cond, what)                                         \
  do {                                                                                \
    if (!(cond)) ::nagare::fuzz::fail(target, std::string(#cond " failed: ") + what); \
  } while (0)

// The libFuzzer entry point of the fuzz build: a thin wrapper of `fn`.
#ifdef NAGARE_FUZZ_MAIN
#define NAGARE_FUZZ_ENTRY(fn)                                               \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { \
    return ::nagare::fuzz::fn(data, size);                                  \
  }
#else
#define NAGARE_FUZZ_ENTRY(fn)
#endif
