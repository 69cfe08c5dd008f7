// The ELF check a job library passes before dlopen maps it: a real built
// library passes; cut short at any size, or with a damaged header field, it
// is refused with one line naming the file and what is wrong. A small image
// built here by hand pins the exact boundaries.
#include <gtest/gtest.h>

#include "process.hpp"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "elf_check.hpp"
#include "job_files.hpp"

namespace nagare {
namespace {

bool mentions(const status& st, const std::string& text) {
  return st.message().find(text) != std::string::npos;
}

class elf_check_test : public ::testing::Test {
 protected:
  void SetUp() override {
    wordcount_ = testing::file_bytes(testing::jobs_dir() + "/libwordcount.so");
    ASSERT_GT(wordcount_.size(), 200000u) << "is NAGARE_JOBS_DIR set?";
  }
  // The real library with the bytes at `offset` replaced by `value`'s.
  template <class T>
  std::string with(size_t offset, T value) const {
    auto bytes = wordcount_;
    std::memcpy(&bytes[offset], &value, sizeof value);
    return bytes;
  }
  // The header fields of the real library.
  Elf64_Ehdr header() const {
    Elf64_Ehdr eh;
    std::memcpy(&eh, wordcount_.data(), sizeof eh);
    return eh;
  }
  std::string wordcount_;
  testing::temp_dir tmp_;
};

// The library the build produces passes, in memory and as a file.
TEST_F(elf_check_test, built_library_passes) {
  auto st = check_elf_image(wordcount_, "libwordcount.so");
  EXPECT_TRUE(st.ok()) << st.message();
  auto file = check_elf_file(testing::jobs_dir() + "/libwordcount.so");
  EXPECT_TRUE(file.ok()) << file.message();
}

// Cut at any size (the three the issue reports among them), the library is
// refused: a library_error naming the file, with the same verdict from a file
// on disk as from bytes in memory.
TEST_F(elf_check_test, truncated_library_is_refused_at_every_size) {
  const size_t full = wordcount_.size();
  for (size_t size : {size_t{0}, size_t{3}, size_t{63}, size_t{64}, size_t{1000}, size_t{50000},
                      size_t{200000}, full / 2, full - 64, full - 1}) {
    SCOPED_TRACE("truncated to " + std::to_string(size) + " bytes");
    auto path = tmp_ / ("cut-" + std::to_string(size) + ".so");
    testing::put_file(path, wordcount_.substr(0, size));
    auto st = check_elf_file(path);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.code(), errc::library_error);
    EXPECT_TRUE(mentions(st, "'" + path + "' is not a loadable shared library")) << st.message();
    EXPECT_EQ(st.message().find('\n'), std::string::npos) << "one line";
    if (size >= 64) {
      EXPECT_TRUE(mentions(st, "truncated")) << st.message();
    }
    auto in_memory = check_elf_image(wordcount_.substr(0, size), path);
    EXPECT_EQ(in_memory.message(), st.message());
  }
}

// Damage to each checked header field is found and named.
TEST_F(elf_check_test, damaged_header_fields_are_named) {
  const auto eh = header();
  struct damage {
    const char* what;
    std::string bytes;
    const char* says;
  };
  const std::vector<damage> cases = {
      {"magic", with<uint8_t>(1, 'X'), "no ELF magic"},
      {"class 32-bit", with<uint8_t>(EI_CLASS, ELFCLASS32), "32-bit"},
      {"big-endian", with<uint8_t>(EI_DATA, ELFDATA2MSB), "byte order"},
      {"executable", with<uint16_t>(offsetof(Elf64_Ehdr, e_type), ET_EXEC), "an executable"},
      {"other machine", with<uint16_t>(offsetof(Elf64_Ehdr, e_machine), EM_AARCH64 + 1),
       "built for ELF machine"},
      {"header size", with<uint16_t>(offsetof(Elf64_Ehdr, e_ehsize), 52), "ELF header size"},
      {"program header size", with<uint16_t>(offsetof(Elf64_Ehdr, e_phentsize), 32),
       "program header size"},
      {"no program headers", with<uint16_t>(offsetof(Elf64_Ehdr, e_phnum), 0),
       "no program headers"},
      {"program headers beyond the end",
       with<uint64_t>(offsetof(Elf64_Ehdr, e_phoff), wordcount_.size() - 100),
       "the program header table"},
      {"program header offset overflows", with<uint64_t>(offsetof(Elf64_Ehdr, e_phoff), ~0ull),
       "the program header table"},
      {"section headers beyond the end",
       with<uint64_t>(offsetof(Elf64_Ehdr, e_shoff), wordcount_.size()),
       "the section header table"},
      {"section header size", with<uint16_t>(offsetof(Elf64_Ehdr, e_shentsize), 40),
       "section header size"},
      {"first segment's size", with<uint64_t>(eh.e_phoff + offsetof(Elf64_Phdr, p_filesz), ~0ull),
       "segment 0 (PT_LOAD"},
      {"first segment's offset",
       with<uint64_t>(eh.e_phoff + offsetof(Elf64_Phdr, p_offset), wordcount_.size()),
       "segment 0 (PT_LOAD"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto st = check_elf_image(c.bytes, "lib.so");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.code(), errc::library_error);
    EXPECT_TRUE(mentions(st, "'lib.so' is not a loadable shared library: ")) << st.message();
    EXPECT_TRUE(mentions(st, c.says)) << st.message();
  }
}

// A hand-built image: two PT_LOAD segments (bytes 0..512 and 768..1024) and
// three section headers at 1024 (to 1216). The expectations are the layout's
// arithmetic, not the check's.
class elf_layout_test : public ::testing::Test {
 protected:
  static std::string image(bool section_headers) {
    std::string bytes(section_headers ? 1216 : 1024, '\0');
    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_DYN;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_phoff = sizeof eh;
    eh.e_ehsize = sizeof eh;
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = 2;
    eh.e_shoff = section_headers ? 1024 : 0;
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = section_headers ? 3 : 0;
    std::memcpy(&bytes[0], &eh, sizeof eh);
    Elf64_Phdr ph[2] = {};
    ph[0].p_type = PT_LOAD;
    ph[0].p_offset = 0;
    ph[0].p_filesz = ph[0].p_memsz = 512;
    ph[1].p_type = PT_LOAD;
    ph[1].p_offset = 768;
    ph[1].p_filesz = 256;
    ph[1].p_memsz = 4096;  // .bss: more in memory than in the file is fine
    std::memcpy(&bytes[sizeof eh], ph, sizeof ph);
    return bytes;
  }
};

#if defined(__x86_64__)
// Whole, the image passes; one byte short of its section headers, or of its
// last segment, it does not.
TEST_F(elf_layout_test, boundaries_are_exact) {
  auto whole = image(true);
  EXPECT_TRUE(check_elf_image(whole, "x").ok()) << check_elf_image(whole, "x").message();
  auto no_shdr = check_elf_image(whole.substr(0, 1215), "x");
  EXPECT_TRUE(mentions(no_shdr, "section header table (bytes 1024 to 1216)")) << no_shdr.message();
  EXPECT_TRUE(mentions(no_shdr, "(1215 bytes)")) << no_shdr.message();
  auto at_segment_end = check_elf_image(whole.substr(0, 1024), "x");
  EXPECT_TRUE(mentions(at_segment_end, "section header table")) << at_segment_end.message();
  auto short_segment = check_elf_image(whole.substr(0, 1023), "x");
  EXPECT_TRUE(mentions(short_segment, "segment 1 (PT_LOAD, bytes 768 to 1024)"))
      << short_segment.message();
}

// Without a section header table (e_shoff 0) the image passes once its
// segments are whole.
TEST_F(elf_layout_test, absent_section_headers_pass) {
  auto bare = image(false);
  EXPECT_TRUE(check_elf_image(bare, "x").ok()) << check_elf_image(bare, "x").message();
  EXPECT_FALSE(check_elf_image(bare.substr(0, 1023), "x").ok());
}

// A segment with more bytes in the file than in memory is damaged.
TEST_F(elf_layout_test, file_size_above_memory_size_is_refused) {
  auto bytes = image(true);
  uint64_t memsz = 300;  // segment 0 keeps its 512 bytes in the file
  std::memcpy(&bytes[sizeof(Elf64_Ehdr) + offsetof(Elf64_Phdr, p_memsz)], &memsz, 8);
  auto st = check_elf_image(bytes, "x");
  EXPECT_TRUE(mentions(st, "segment 0 (PT_LOAD) is damaged: 512 bytes in the file but 300"))
      << st.message();
}
#endif

// Not a file of a library's size: a sparse file one byte above the limit is
// refused before anything is read from it; a missing file is not_found.
TEST_F(elf_check_test, sizes_beyond_the_limit_and_missing_files) {
  auto big = tmp_ / "big.so";
  int fd = ::open(big.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(max_job_library_bytes + 1)), 0);
  ::close(fd);
  auto st = check_elf_file(big);
  EXPECT_EQ(st.code(), errc::library_error);
  EXPECT_TRUE(mentions(st, "more than a job library may have")) << st.message();
  auto missing = check_elf_file(tmp_ / "none.so");
  EXPECT_EQ(missing.code(), errc::not_found);
  EXPECT_TRUE(mentions(missing, "none.so")) << missing.message();
}

}  // namespace
}  // namespace nagare
