// ELF64 executable checks (see elf.h for what is accepted and the specs
// cited). The file is hostile until proven otherwise: the order below reads
// only bytes already known to be inside it, and every address sum goes
// through __builtin_add_overflow so a value near 2^64 cannot wrap into a
// small, plausible one.
#include "libk/elf.h"

#include "libk/string.h"
#include "libk/utility.h"

namespace k {
namespace {

using namespace elf;

Result<ElfImage> not_executable() { return error(Errno::enoexec); }

// gABI "ELF Identification": magic, 64-bit class, little-endian data
// (psABI §4.1.1 requires ELFCLASS64 and ELFDATA2LSB), and version 1 both in
// e_ident and in e_version.
bool identification_ok(const Elf64Header& header) {
    if (memcmp(header.ident, kMagic, sizeof(kMagic)) != 0) return false;
    if (header.ident[kIdentClass] != kClass64) return false;
    if (header.ident[kIdentData] != kDataLittle) return false;
    if (header.ident[kIdentVersion] != kVersionCurrent) return false;
    return header.version == kVersionCurrent;
}

// gABI "Program Header": p_align of 0 or 1 means no requirement, anything
// else must be a positive power of two.
bool alignment_ok(uint64_t align) { return align <= 1 || is_power_of_two(align); }

// Checks one PT_LOAD entry on its own (its neighbours are checked by the
// caller). True and `out` filled in, or false for a malformed segment.
bool check_load_segment(const Elf64ProgramHeader& ph, size_t file_size, ElfSegment& out) {
    // gABI: "The file size may not be larger than the memory size."
    if (ph.filesz > ph.memsz) return false;
    // The bytes copied from the file must be in the file. (filesz 0 still
    // needs a sane offset: it takes part in the congruence below.)
    uint64_t file_end;
    if (__builtin_add_overflow(ph.offset, ph.filesz, &file_end) || file_end > file_size) return false;
    // The memory image must fit in user space. For ET_DYN the loader still
    // has to pick a bias that keeps it there; this bounds the image's size.
    uint64_t memory_end;
    if (__builtin_add_overflow(ph.vaddr, ph.memsz, &memory_end) || memory_end > kUserAddressEnd) return false;
    // psABI §5.1: "virtual addresses and file offsets for the AMD64
    // architecture segments are congruent modulo the maximum page size" -
    // otherwise a page of the file cannot be a page of the segment.
    if (ph.vaddr % kPageSize != ph.offset % kPageSize) return false;
    if (!alignment_ok(ph.align)) return false;

    out.vaddr = ph.vaddr;
    out.memsz = ph.memsz;
    out.offset = ph.offset;
    out.filesz = ph.filesz;
    out.flags = ph.flags & (kFlagRead | kFlagWrite | kFlagExecute);
    out.align = ph.align;
    return true;
}

// [begin, begin + size) lies inside [segment.vaddr, segment.end()).
// begin + size must not wrap; the caller guarantees size is small.
bool segment_contains(const ElfSegment& segment, uint64_t begin, uint64_t size) {
    if (begin < segment.vaddr || begin >= segment.end()) return false;
    return size <= segment.end() - begin;
}

}  // namespace

Result<ElfImage> parse_elf_executable(const void* file, size_t size) {
    const uint8_t* bytes = static_cast<const uint8_t*>(file);
    if (file == nullptr || size < sizeof(Elf64Header)) return not_executable();

    Elf64Header header;
    memcpy(&header, bytes, sizeof(header));
    if (!identification_ok(header)) return not_executable();
    if (header.machine != kMachineX86_64) return not_executable();
    if (header.type != kTypeExec && header.type != kTypeDyn) return not_executable();

    // The program header table: entries of exactly the size this code knows
    // (a different e_phentsize would mean a format it does not), between the
    // ELF header and the end of the file. phnum * 56 <= 65535 * 56 cannot
    // overflow, and PN_XNUM (the count is elsewhere) is not supported.
    if (header.phentsize != sizeof(Elf64ProgramHeader)) return not_executable();
    if (header.phnum == 0 || header.phnum == kPhnumExtended) return not_executable();
    uint64_t table_size = uint64_t{header.phnum} * sizeof(Elf64ProgramHeader);
    if (header.phoff < sizeof(Elf64Header) || header.phoff > size || table_size > size - header.phoff) {
        return not_executable();
    }

    ElfImage image;
    image.kind = header.type == kTypeExec ? ElfKind::executable : ElfKind::static_pie;
    image.needs_load_bias = header.type == kTypeDyn;
    image.entry = header.entry;
    image.phnum = header.phnum;
    image.phentsize = header.phentsize;

    bool has_phdr_segment = false;
    uint64_t phdr_segment_vaddr = 0;
    for (size_t i = 0; i < header.phnum; ++i) {
        Elf64ProgramHeader ph;
        memcpy(&ph, bytes + header.phoff + i * sizeof(ph), sizeof(ph));
        switch (ph.type) {
        case kSegmentInterp:
            // A dynamically linked program: it needs the interpreter named
            // here (ld.so) to load its libraries, and this kernel has none.
            return not_executable();
        case kSegmentPhdr:
            // gABI: PT_PHDR "may not occur more than once in a file".
            if (has_phdr_segment) return not_executable();
            has_phdr_segment = true;
            phdr_segment_vaddr = ph.vaddr;
            break;
        case kSegmentGnuStack:
            image.executable_stack = (ph.flags & kFlagExecute) != 0;
            break;
        case kSegmentLoad: {
            ElfSegment segment;
            if (!check_load_segment(ph, size, segment)) return not_executable();
            // gABI allows p_memsz == 0; such a segment maps nothing.
            if (segment.memsz == 0) break;
            // gABI: "Loadable segment entries in the program header table
            // appear in ascending order, sorted on the p_vaddr member." Each
            // must also start at or after the end of the one before: two
            // segments claiming the same byte cannot both be loaded.
            if (image.segment_count > 0 && segment.vaddr < image.segments[image.segment_count - 1].end()) {
                return not_executable();
            }
            if (image.segment_count == kMaxLoadSegments) return not_executable();
            image.segments[image.segment_count++] = segment;
            image.load_align = max(image.load_align, segment.align);
            break;
        }
        default:
            // PT_DYNAMIC, PT_NOTE, PT_TLS, PT_GNU_RELRO, ...: the program's
            // own start-up code reads them through AT_PHDR.
            break;
        }
    }
    if (image.segment_count == 0) return not_executable();

    // The entry point must be an instruction the process can fetch: inside
    // an executable segment (for ET_DYN, relative to the same bias).
    bool entry_ok = false;
    for (size_t i = 0; i < image.segment_count; ++i) {
        const ElfSegment& segment = image.segments[i];
        if (segment.executable() && segment_contains(segment, image.entry, 1)) entry_ok = true;
    }
    if (!entry_ok) return not_executable();

    // AT_PHDR. gABI: PT_PHDR "may occur only if the program header table is
    // part of the memory image of the program", so the whole table must lie
    // in a loaded segment. Without PT_PHDR (static executables usually have
    // none), the table is in memory if a PT_LOAD maps its file bytes.
    // table_size is at most 3.6 MB and every segment ends below 2^47, so the
    // sums below cannot wrap.
    if (has_phdr_segment) {
        for (size_t i = 0; i < image.segment_count && !image.phdr_in_memory; ++i) {
            image.phdr_in_memory = segment_contains(image.segments[i], phdr_segment_vaddr, table_size);
        }
        if (!image.phdr_in_memory) return not_executable();
        image.phdr_vaddr = phdr_segment_vaddr;
    } else {
        for (size_t i = 0; i < image.segment_count && !image.phdr_in_memory; ++i) {
            const ElfSegment& segment = image.segments[i];
            if (header.phoff >= segment.offset && header.phoff - segment.offset <= segment.filesz &&
                table_size <= segment.filesz - (header.phoff - segment.offset)) {
                image.phdr_in_memory = true;
                image.phdr_vaddr = segment.vaddr + (header.phoff - segment.offset);
            }
        }
    }
    return image;
}

}  // namespace k
