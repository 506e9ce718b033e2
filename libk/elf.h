#pragma once
// ELF64 executables as execve() loads them: parse_elf_executable() checks a
// whole file held in memory (the initrd keeps it there) and describes what
// to map where, without mapping anything itself.
//
// Specifications, cited below by these names:
//   gABI   System V Application Binary Interface, generic ABI (4.1 and the
//          2013 draft update, "Object Files" and "Program Loading" chapters)
//   psABI  System V ABI, AMD64 Architecture Processor Supplement (1.0),
//          §3.4 "Process Initialization", §4 "Object Files", §5 "Program Loading"
//
// The file is what a user handed to execve(): nothing in it is trusted.
// Every offset and size is checked against the file size before a byte is
// read, every sum and difference is checked for wrap-around, and anything
// this kernel cannot or will not run gives Errno::enoexec (as Linux does).
//
// What is accepted: static executables only, the kernel has no dynamic linker.
//   * ET_EXEC: linked at fixed addresses (`gcc -static`, `musl-gcc -static`).
//   * ET_DYN without PT_INTERP: a static position-independent executable
//     (`-static-pie`), which relocates itself and is mapped at a load bias
//     the loader picks. ET_DYN with PT_INTERP is an ordinary dynamically
//     linked program (or a shared library) and is refused, as is ET_EXEC
//     with PT_INTERP.
#include <stddef.h>
#include <stdint.h>

#include "libk/result.h"

namespace k {

// ---- File layouts (gABI "ELF Header", "Program Header"; little-endian as
// psABI §4.1 requires for x86-64). Both structs have no padding: every field
// sits at its natural alignment, so a memcpy of the bytes fills them.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ELF fields are read by memcpy into host structs");

struct Elf64Header {
    uint8_t ident[16];  // magic, class, data encoding, version, OS ABI, padding
    uint16_t type;      // e_type: ET_EXEC, ET_DYN, ...
    uint16_t machine;   // e_machine
    uint32_t version;   // e_version
    uint64_t entry;     // e_entry: virtual address of the first instruction
    uint64_t phoff;     // e_phoff: file offset of the program header table
    uint64_t shoff;     // e_shoff: section headers (not needed to run a program)
    uint32_t flags;     // e_flags: none defined for x86-64
    uint16_t ehsize;    // e_ehsize
    uint16_t phentsize;  // e_phentsize: size of one program header
    uint16_t phnum;     // e_phnum: number of program headers
    uint16_t shentsize;
    uint16_t shnum;
    uint16_t shstrndx;
};
static_assert(sizeof(Elf64Header) == 64);

struct Elf64ProgramHeader {
    uint32_t type;    // p_type: PT_LOAD, ...
    uint32_t flags;   // p_flags: PF_R | PF_W | PF_X
    uint64_t offset;  // p_offset: where the segment's bytes start in the file
    uint64_t vaddr;   // p_vaddr: where they go in memory
    uint64_t paddr;   // p_paddr: unused for user programs
    uint64_t filesz;  // p_filesz: bytes taken from the file
    uint64_t memsz;   // p_memsz: bytes in memory; the rest after filesz is zero (.bss)
    uint64_t align;   // p_align
};
static_assert(sizeof(Elf64ProgramHeader) == 56);

namespace elf {

// e_ident indices and values (gABI "ELF Identification").
constexpr size_t kIdentClass = 4;    // EI_CLASS
constexpr size_t kIdentData = 5;     // EI_DATA
constexpr size_t kIdentVersion = 6;  // EI_VERSION
constexpr uint8_t kMagic[4] = {0x7f, 'E', 'L', 'F'};
constexpr uint8_t kClass64 = 2;        // ELFCLASS64
constexpr uint8_t kDataLittle = 1;     // ELFDATA2LSB
constexpr uint8_t kVersionCurrent = 1;  // EV_CURRENT, in e_ident and in e_version

constexpr uint16_t kTypeExec = 2;     // ET_EXEC
constexpr uint16_t kTypeDyn = 3;      // ET_DYN
constexpr uint16_t kMachineX86_64 = 62;  // EM_X86_64
// e_phnum == PN_XNUM means "more than 65534 program headers, the real
// count is in section header 0" (gABI "Extended Program Header Numbering").
constexpr uint16_t kPhnumExtended = 0xffff;

// p_type values (gABI "Segment Types"; PT_GNU_STACK is a GNU extension that
// Linux honours and every current toolchain emits).
constexpr uint32_t kSegmentLoad = 1;      // PT_LOAD
constexpr uint32_t kSegmentDynamic = 2;   // PT_DYNAMIC
constexpr uint32_t kSegmentInterp = 3;    // PT_INTERP
constexpr uint32_t kSegmentNote = 4;      // PT_NOTE
constexpr uint32_t kSegmentPhdr = 6;      // PT_PHDR
constexpr uint32_t kSegmentTls = 7;       // PT_TLS
constexpr uint32_t kSegmentGnuStack = 0x6474e551;  // PT_GNU_STACK

// p_flags bits (gABI "Segment Permissions").
constexpr uint32_t kFlagExecute = 1;  // PF_X
constexpr uint32_t kFlagWrite = 2;    // PF_W
constexpr uint32_t kFlagRead = 4;     // PF_R

// The page size of psABI §5.1 ("Program Loading"): file offset and virtual
// address of a loadable segment must agree modulo this, so the file can be
// mapped page by page.
constexpr uint64_t kPageSize = 4096;

// User space is the lower half of the 48-bit address space; a segment must
// end at or below this (the first non-canonical address).
constexpr uint64_t kUserAddressEnd = 0x0000'8000'0000'0000;

// The most PT_LOAD segments accepted. Static programs have 2 to 5.
constexpr size_t kMaxLoadSegments = 16;

}  // namespace elf

// ---- Auxiliary vector types (psABI §3.4.3, Figure 3.10 lists the generic
// ones; the rest are the values Linux defines, which user-space C libraries
// expect). Names follow the AT_* macros with the project's constant style;
// the macros themselves would clash with the host's <elf.h>.
constexpr uint64_t kAtNull = 0;       // AT_NULL: ends the vector
constexpr uint64_t kAtPhdr = 3;       // AT_PHDR: program headers in memory
constexpr uint64_t kAtPhent = 4;      // AT_PHENT: size of one program header
constexpr uint64_t kAtPhnum = 5;      // AT_PHNUM: number of program headers
constexpr uint64_t kAtPagesz = 6;     // AT_PAGESZ
constexpr uint64_t kAtBase = 7;       // AT_BASE: the interpreter's base (0: none)
constexpr uint64_t kAtFlags = 8;      // AT_FLAGS
constexpr uint64_t kAtEntry = 9;      // AT_ENTRY: the program's entry point
constexpr uint64_t kAtUid = 11;       // AT_UID
constexpr uint64_t kAtEuid = 12;      // AT_EUID
constexpr uint64_t kAtGid = 13;       // AT_GID
constexpr uint64_t kAtEgid = 14;      // AT_EGID
constexpr uint64_t kAtPlatform = 15;  // AT_PLATFORM: pointer to "x86_64"
constexpr uint64_t kAtHwcap = 16;     // AT_HWCAP: CPUID.1:EDX on x86
constexpr uint64_t kAtClktck = 17;    // AT_CLKTCK: times() ticks per second
constexpr uint64_t kAtSecure = 23;    // AT_SECURE: set-uid style execution
constexpr uint64_t kAtRandom = 25;    // AT_RANDOM: pointer to 16 random bytes
constexpr uint64_t kAtExecfn = 31;    // AT_EXECFN: pointer to the file name given to execve

// One PT_LOAD segment, checked: filesz <= memsz, the file bytes inside the
// file, the memory range inside user space (before any load bias), offset
// and vaddr congruent modulo the page size.
struct ElfSegment {
    uint64_t vaddr = 0;   // ET_DYN: relative to the load bias
    uint64_t memsz = 0;   // > 0: segments with p_memsz == 0 occupy nothing and are not listed
    uint64_t offset = 0;  // in the file
    uint64_t filesz = 0;  // bytes [offset, offset + filesz) of the file go to [vaddr, vaddr + filesz)
    uint32_t flags = 0;   // elf::kFlagRead | kFlagWrite | kFlagExecute
    uint64_t align = 0;   // p_align as in the file (0 or 1: none; otherwise a power of two)

    bool readable() const { return flags & elf::kFlagRead; }
    bool writable() const { return flags & elf::kFlagWrite; }
    bool executable() const { return flags & elf::kFlagExecute; }
    uint64_t end() const { return vaddr + memsz; }  // cannot wrap: checked when parsed
};

enum class ElfKind {
    executable,  // ET_EXEC: load at the addresses in the file
    static_pie,  // ET_DYN without PT_INTERP: load at a bias the loader picks
};

struct ElfImage {
    ElfKind kind = ElfKind::executable;
    // ET_DYN needs a load bias (a multiple of load_align, chosen so every
    // segment's vaddr + bias stays in user space) added to every address
    // below: entry, segment vaddrs, phdr_vaddr. ET_EXEC uses bias 0.
    bool needs_load_bias = false;
    uint64_t entry = 0;  // inside an executable segment

    ElfSegment segments[elf::kMaxLoadSegments];
    size_t segment_count = 0;  // >= 1; ascending, non-overlapping vaddr ranges

    // The largest p_align of the PT_LOAD segments, at least the page size:
    // a load bias that is a multiple of it keeps every segment's alignment.
    uint64_t load_align = elf::kPageSize;

    // For AT_PHDR: where the program header table is in the process's memory.
    // From PT_PHDR when there is one; otherwise from the PT_LOAD segment whose
    // file bytes contain the table (as Linux computes it). If neither exists
    // phdr_in_memory is false and the loader should not pass AT_PHDR (the C
    // library then cannot find PT_TLS, so such a file is unusual).
    bool phdr_in_memory = false;
    uint64_t phdr_vaddr = 0;
    uint16_t phnum = 0;      // AT_PHNUM
    uint16_t phentsize = 0;  // AT_PHENT (always 56)

    // PT_GNU_STACK with PF_X: the program asks for an executable stack. A
    // missing PT_GNU_STACK means a non-executable stack here (Linux would
    // make it executable on x86-64 for compatibility with 1990s binaries).
    bool executable_stack = false;
};

// Checks the `size` bytes at `file` as an x86-64 static executable (see the
// top of this file) and describes its memory image. Errno::enoexec for
// anything malformed or unsupported; `file` may be any byte pointer (no
// alignment needed) and is only read.
Result<ElfImage> parse_elf_executable(const void* file, size_t size);

}  // namespace k
