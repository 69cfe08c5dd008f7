#include "elf_check.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <vector>

namespace nagare {

namespace {

#if defined(__x86_64__)
constexpr uint16_t host_machine = EM_X86_64;
constexpr const char* host_machine_name = "x86-64";
#elif defined(__aarch64__)
constexpr uint16_t host_machine = EM_AARCH64;
constexpr const char* host_machine_name = "AArch64";
#elif defined(__riscv) && __riscv_xlen == 64
constexpr uint16_t host_machine = EM_RISCV;
constexpr const char* host_machine_name = "RISC-V 64";
#elif defined(__powerpc64__)
constexpr uint16_t host_machine = EM_PPC64;
constexpr const char* host_machine_name = "PowerPC 64";
#elif defined(__s390x__)
constexpr uint16_t host_machine = EM_S390;
constexpr const char* host_machine_name = "s390x";
#else
#error "elf_check.cpp: add this machine's ELF e_machine"
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr unsigned char host_data = ELFDATA2LSB;
#else
constexpr unsigned char host_data = ELFDATA2MSB;
#endif

// Reads `size` bytes at `offset` of the image into `out`; an error if it cannot.
using read_fn = std::function<status(uint64_t offset, size_t size, void* out)>;

// Whether [offset, offset + size) lies inside a file of file_size bytes
// (without overflow for any offset and size).
bool inside(uint64_t offset, uint64_t size, uint64_t file_size) {
  return offset <= file_size && size <= file_size - offset;
}

std::string range(uint64_t offset, uint64_t size) {
  return "bytes " + std::to_string(offset) + " to " + std::to_string(offset + size);
}

const char* type_name(uint16_t type) {
  switch (type) {
    case ET_REL:
      return " (a relocatable object)";
    case ET_EXEC:
      return " (an executable)";
    case ET_CORE:
      return " (a core dump)";
    default:
      return "";
  }
}

status check(uint64_t size, const read_fn& read, const std::string& name) {
  auto bad = [&](const std::string& what) {
    return status(errc::library_error, "'" + name + "' is not a loadable shared library: " + what);
  };
  auto truncated = [&](const std::string& what) {
    return bad("the file is truncated or damaged: " + what + " ends beyond the end of the file (" +
               std::to_string(size) + " bytes)");
  };
  if (size > max_job_library_bytes)
    return bad(std::to_string(size) + " bytes, more than a job library may have (" +
               std::to_string(max_job_library_bytes) + ")");
  unsigned char ident[EI_NIDENT] = {};
  if (size >= SELFMAG) {
    if (auto st = read(0, SELFMAG, ident); !st.ok()) return st;
  }
  if (size < SELFMAG || std::memcmp(ident, ELFMAG, SELFMAG) != 0)
    return bad("no ELF magic (it is not an ELF file)");
  Elf64_Ehdr eh{};
  if (size < sizeof eh)
    return bad("the file is truncated: " + std::to_string(size) +
               " bytes, shorter than an ELF header (" + std::to_string(sizeof eh) + ")");
  if (auto st = read(0, sizeof eh, &eh); !st.ok()) return st;
  if (eh.e_ident[EI_CLASS] != ELFCLASS64)
    return bad(eh.e_ident[EI_CLASS] == ELFCLASS32
                   ? "a 32-bit ELF file (this runtime loads 64-bit libraries)"
                   : "unknown ELF class " + std::to_string(eh.e_ident[EI_CLASS]));
  if (eh.e_ident[EI_DATA] != host_data)
    return bad("ELF byte order " + std::to_string(eh.e_ident[EI_DATA]) +
               " is not this machine's (" + std::to_string(host_data) + ")");
  if (eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT)
    return bad("unknown ELF version " + std::to_string(eh.e_version));
  if (eh.e_type != ET_DYN)
    return bad("ELF type " + std::to_string(eh.e_type) + type_name(eh.e_type) +
               ", not a shared library (ET_DYN)");
  if (eh.e_machine != host_machine)
    return bad("built for ELF machine " + std::to_string(eh.e_machine) + ", this runtime runs on " +
               host_machine_name + " (" + std::to_string(host_machine) + ")");
  if (eh.e_ehsize != sizeof(Elf64_Ehdr))
    return bad("ELF header size " + std::to_string(eh.e_ehsize) + " (64-bit ELF has " +
               std::to_string(sizeof(Elf64_Ehdr)) + ")");

  // Program headers: the table, then every PT_LOAD segment's bytes in the file.
  if (eh.e_phnum == 0 || eh.e_phoff == 0) return bad("no program headers");
  if (eh.e_phnum == PN_XNUM) return bad("more program headers than this check reads");
  if (eh.e_phentsize != sizeof(Elf64_Phdr))
    return bad("program header size " + std::to_string(eh.e_phentsize) + " (64-bit ELF has " +
               std::to_string(sizeof(Elf64_Phdr)) + ")");
  const uint64_t ph_bytes = uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr);
  if (!inside(eh.e_phoff, ph_bytes, size))
    return truncated("the program header table (" + range(eh.e_phoff, ph_bytes) + ")");
  std::vector<Elf64_Phdr> ph(eh.e_phnum);
  if (auto st = read(eh.e_phoff, ph_bytes, ph.data()); !st.ok()) return st;
  size_t loads = 0;
  for (size_t i = 0; i < ph.size(); ++i) {
    const auto& p = ph[i];
    if (p.p_type != PT_LOAD) continue;
    ++loads;
    auto segment = "segment " + std::to_string(i) + " (PT_LOAD";
    if (!inside(p.p_offset, p.p_filesz, size))
      return truncated(segment + ", " + range(p.p_offset, p.p_filesz) + ")");
    if (p.p_filesz > p.p_memsz)
      return bad(segment + ") is damaged: " + std::to_string(p.p_filesz) +
                 " bytes in the file but " + std::to_string(p.p_memsz) + " in memory");
  }
  if (loads == 0) return bad("no loadable (PT_LOAD) segment");

  // Section headers: dlopen does not read them, but a table beyond the end of
  // the file is the surest sign of a file cut short.
  if (eh.e_shoff != 0) {
    if (eh.e_shentsize != sizeof(Elf64_Shdr))
      return bad("section header size " + std::to_string(eh.e_shentsize) + " (64-bit ELF has " +
                 std::to_string(sizeof(Elf64_Shdr)) + ")");
    // e_shnum 0 with a table: the count is in the first header (at least one).
    const uint64_t count = eh.e_shnum == 0 ? 1 : eh.e_shnum;
    const uint64_t sh_bytes = count * sizeof(Elf64_Shdr);
    if (!inside(eh.e_shoff, sh_bytes, size))
      return truncated("the section header table (" + range(eh.e_shoff, sh_bytes) + ")");
  }
  return {};
}

}  // namespace

status check_elf_image(std::string_view bytes, const std::string& name) {
  return check(
      bytes.size(),
      [&](uint64_t offset, size_t size, void* out) {
        std::memcpy(out, bytes.data() + offset, size);  // check() reads inside the image only
        return status{};
      },
      name);
}

status check_elf_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return status(errno == ENOENT ? errc::not_found : errc::io_error,
                  "job library '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return status(errc::library_error, "job library '" + path + "' is not a regular file");
  }
  auto result = check(
      static_cast<uint64_t>(st.st_size),
      [&](uint64_t offset, size_t size, void* out) {
        auto* p = static_cast<char*>(out);
        while (size > 0) {
          auto n = ::pread(fd, p, size, static_cast<off_t>(offset));
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0)
            return status::io_error("cannot read job library '" + path +
                                    "': " + (n < 0 ? std::strerror(errno) : "it got shorter"));
          p += n;
          offset += static_cast<uint64_t>(n);
          size -= static_cast<size_t>(n);
        }
        return status{};
      },
      path);
  ::close(fd);
  return result;
}

}  // namespace nagare
