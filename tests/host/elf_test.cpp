// Host tests for libk/elf: ELF images built field by field in the test (no
// toolchain needed at test time), each handed to the parser in a heap block
// of exactly its size so AddressSanitizer catches any read past the end.
#include "libk/elf.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

namespace {

using k::Elf64Header;
using k::Elf64ProgramHeader;
using k::ElfImage;
using k::ElfKind;
using k::Errno;
namespace elf = k::elf;

constexpr uint32_t R = elf::kFlagRead;
constexpr uint32_t W = elf::kFlagWrite;
constexpr uint32_t X = elf::kFlagExecute;

Elf64ProgramHeader segment(uint32_t type, uint32_t flags, uint64_t offset, uint64_t vaddr, uint64_t filesz,
                           uint64_t memsz, uint64_t align = 0x1000) {
    Elf64ProgramHeader ph{};
    ph.type = type;
    ph.flags = flags;
    ph.offset = offset;
    ph.vaddr = vaddr;
    ph.paddr = vaddr;
    ph.filesz = filesz;
    ph.memsz = memsz;
    ph.align = align;
    return ph;
}

Elf64ProgramHeader load(uint32_t flags, uint64_t offset, uint64_t vaddr, uint64_t filesz, uint64_t memsz,
                        uint64_t align = 0x1000) {
    return segment(elf::kSegmentLoad, flags, offset, vaddr, filesz, memsz, align);
}

// Builds an ELF file: a header, program headers at header.phoff, and
// file_size bytes in all (filled with a pattern, so segment contents are
// not all zero). Starts as the shape `musl-gcc -static` produces.
struct ElfBuilder {
    Elf64Header header{};
    std::vector<Elf64ProgramHeader> phdrs;
    size_t file_size = 0x3010;

    ElfBuilder() {
        const uint8_t ident[16] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
        std::memcpy(header.ident, ident, sizeof(ident));
        header.type = elf::kTypeExec;
        header.machine = elf::kMachineX86_64;
        header.version = 1;
        header.entry = 0x401020;
        header.phoff = sizeof(Elf64Header);
        header.ehsize = sizeof(Elf64Header);
        header.phentsize = sizeof(Elf64ProgramHeader);
        phdrs = {
            load(R, 0, 0x400000, 0x190, 0x190),                // ELF header + program headers
            load(R | X, 0x1000, 0x401000, 0x800, 0x800),       // .text
            load(R, 0x2000, 0x402000, 0x100, 0x100),           // .rodata
            load(R | W, 0x2fc0, 0x403fc0, 0x50, 0x1798),       // .data + .bss
            segment(elf::kSegmentGnuStack, R | W, 0, 0, 0, 0, 16),
        };
    }

    // A static PIE (`-static-pie`): ET_DYN, linked at 0, with PT_PHDR.
    static ElfBuilder static_pie() {
        ElfBuilder b;
        b.header.type = elf::kTypeDyn;
        b.header.entry = 0x1077;
        b.phdrs = {
            segment(elf::kSegmentPhdr, R, 0x40, 0x40, 5 * 56, 5 * 56, 8),
            load(R, 0, 0, 0x4b8, 0x4b8),
            load(R | X, 0x1000, 0x1000, 0x17c, 0x17c),
            load(R | W, 0x2e00, 0x3e00, 0x21c, 0x11e0),
            segment(elf::kSegmentDynamic, R | W, 0x2e10, 0x3e10, 0x1c0, 0x1c0, 8),
        };
        b.file_size = 0x3100;
        return b;
    }

    std::vector<uint8_t> bytes() const {
        Elf64Header h = header;
        h.phnum = static_cast<uint16_t>(phdrs.size());
        size_t table_end = h.phoff + phdrs.size() * sizeof(Elf64ProgramHeader);
        std::vector<uint8_t> out(std::max({file_size, sizeof(Elf64Header), table_end}));
        for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(i * 7 + 1);
        std::memcpy(out.data(), &h, sizeof(h));
        for (size_t i = 0; i < phdrs.size(); ++i) {
            std::memcpy(out.data() + h.phoff + i * sizeof(Elf64ProgramHeader), &phdrs[i], sizeof(phdrs[i]));
        }
        return out;
    }
};

// Parses `size` bytes of `file` from a heap block of exactly that size.
k::Result<ElfImage> parse_exact(const std::vector<uint8_t>& file, size_t size) {
    auto copy = std::make_unique<uint8_t[]>(size == 0 ? 1 : size);
    if (size != 0) std::memcpy(copy.get(), file.data(), size);
    return k::parse_elf_executable(copy.get(), size);
}
k::Result<ElfImage> parse_exact(const std::vector<uint8_t>& file) { return parse_exact(file, file.size()); }
k::Result<ElfImage> parse(const ElfBuilder& b) { return parse_exact(b.bytes()); }

void expect_enoexec(const ElfBuilder& b) {
    auto result = parse(b);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error(), Errno::enoexec);
}

// What every accepted image promises (elf.h), checked against its file.
void expect_invariants(const ElfImage& image, size_t file_size) {
    ASSERT_GE(image.segment_count, 1u);
    ASSERT_LE(image.segment_count, elf::kMaxLoadSegments);
    bool entry_found = false;
    for (size_t i = 0; i < image.segment_count; ++i) {
        const k::ElfSegment& s = image.segments[i];
        EXPECT_GT(s.memsz, 0u);
        EXPECT_LE(s.filesz, s.memsz);
        EXPECT_LE(s.offset, file_size);
        EXPECT_LE(s.filesz, file_size - s.offset);
        EXPECT_LE(s.vaddr, elf::kUserAddressEnd);
        EXPECT_LE(s.memsz, elf::kUserAddressEnd - s.vaddr);
        EXPECT_EQ(s.vaddr % elf::kPageSize, s.offset % elf::kPageSize);
        EXPECT_EQ(s.flags & ~(R | W | X), 0u);
        if (i > 0) {
            EXPECT_GE(s.vaddr, image.segments[i - 1].end());
        }
        if (s.executable() && image.entry >= s.vaddr && image.entry < s.end()) entry_found = true;
        EXPECT_EQ(image.load_align % elf::kPageSize, 0u);
        if (s.align > 1) {
            EXPECT_EQ(image.load_align % s.align, 0u);
        }
    }
    EXPECT_TRUE(entry_found);
    EXPECT_EQ(image.phentsize, 56);
    EXPECT_EQ(image.needs_load_bias, image.kind == ElfKind::static_pie);
}

// ---- Accepted files.

TEST(Elf, StaticExecutable) {
    ElfBuilder b;
    auto result = parse(b);
    ASSERT_TRUE(result.ok()) << k::errno_name(result.error());
    const ElfImage& image = result.value();
    EXPECT_EQ(image.kind, ElfKind::executable);
    EXPECT_FALSE(image.needs_load_bias);
    EXPECT_EQ(image.entry, 0x401020u);
    ASSERT_EQ(image.segment_count, 4u);
    EXPECT_EQ(image.segments[0].vaddr, 0x400000u);
    EXPECT_EQ(image.segments[0].flags, R);
    EXPECT_EQ(image.segments[1].vaddr, 0x401000u);
    EXPECT_EQ(image.segments[1].offset, 0x1000u);
    EXPECT_EQ(image.segments[1].filesz, 0x800u);
    EXPECT_EQ(image.segments[1].memsz, 0x800u);
    EXPECT_TRUE(image.segments[1].readable());
    EXPECT_TRUE(image.segments[1].executable());
    EXPECT_FALSE(image.segments[1].writable());
    EXPECT_EQ(image.segments[3].vaddr, 0x403fc0u);
    EXPECT_EQ(image.segments[3].offset, 0x2fc0u);
    EXPECT_EQ(image.segments[3].filesz, 0x50u);
    EXPECT_EQ(image.segments[3].memsz, 0x1798u);
    EXPECT_EQ(image.segments[3].flags, R | W);
    EXPECT_EQ(image.segments[3].align, 0x1000u);
    EXPECT_EQ(image.segments[3].end(), 0x403fc0u + 0x1798u);
    // No PT_PHDR: the table is at file offset 64, inside the first segment.
    EXPECT_TRUE(image.phdr_in_memory);
    EXPECT_EQ(image.phdr_vaddr, 0x400040u);
    EXPECT_EQ(image.phnum, 5);
    EXPECT_EQ(image.phentsize, 56);
    EXPECT_FALSE(image.executable_stack);
    EXPECT_EQ(image.load_align, 0x1000u);
    expect_invariants(image, b.bytes().size());
}

TEST(Elf, StaticPie) {
    ElfBuilder b = ElfBuilder::static_pie();
    auto result = parse(b);
    ASSERT_TRUE(result.ok()) << k::errno_name(result.error());
    const ElfImage& image = result.value();
    EXPECT_EQ(image.kind, ElfKind::static_pie);
    EXPECT_TRUE(image.needs_load_bias);
    EXPECT_EQ(image.entry, 0x1077u);
    ASSERT_EQ(image.segment_count, 3u);
    EXPECT_EQ(image.segments[0].vaddr, 0u);
    EXPECT_TRUE(image.phdr_in_memory);
    EXPECT_EQ(image.phdr_vaddr, 0x40u);
    EXPECT_EQ(image.phnum, 5);
    expect_invariants(image, b.bytes().size());
}

TEST(Elf, ProgramHeadersFoundThroughAnySegmentContainingThem) {
    // The table lives in the second segment's file bytes, 0x30 bytes in.
    ElfBuilder b;
    b.header.phoff = 0x1030;
    auto result = parse(b);
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(result->phdr_in_memory);
    EXPECT_EQ(result->phdr_vaddr, 0x401030u);
}

TEST(Elf, ProgramHeadersOutsideEverySegment) {
    // Only the table's first bytes are mapped: not enough for AT_PHDR.
    ElfBuilder b;
    b.phdrs[0].filesz = b.phdrs[0].memsz = 0x60;
    auto partly = parse(b);
    ASSERT_TRUE(partly.ok());
    EXPECT_FALSE(partly->phdr_in_memory);
    // Table exactly at the end of the mapped bytes: in memory.
    b.phdrs[0].filesz = b.phdrs[0].memsz = 0x40 + 5 * 56;
    auto exactly = parse(b);
    ASSERT_TRUE(exactly.ok());
    EXPECT_TRUE(exactly->phdr_in_memory);
    // In the part of the segment that is .bss rather than file bytes: not
    // mapped from the file, so not the table.
    b.phdrs[0].filesz = 0x40;
    b.phdrs[0].memsz = 0x1000;
    auto in_bss = parse(b);
    ASSERT_TRUE(in_bss.ok());
    EXPECT_FALSE(in_bss->phdr_in_memory);
}

TEST(Elf, PtPhdrWinsOverTheComputedAddress) {
    ElfBuilder b;
    b.phdrs.insert(b.phdrs.begin(), segment(elf::kSegmentPhdr, R, 0x40, 0x400020, 6 * 56, 6 * 56, 8));
    auto result = parse(b);
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(result->phdr_in_memory);
    EXPECT_EQ(result->phdr_vaddr, 0x400020u);
    EXPECT_EQ(result->phnum, 6);
}

TEST(Elf, PtPhdrMustBeInsideALoadedSegment) {
    ElfBuilder b;
    b.phdrs.insert(b.phdrs.begin(), segment(elf::kSegmentPhdr, R, 0x40, 0x500000, 6 * 56, 6 * 56, 8));
    expect_enoexec(b);
    // Straddling the end of the first segment (0x400190).
    b.phdrs[0].vaddr = 0x400190 - 100;
    expect_enoexec(b);
    b.phdrs[0].vaddr = 0x400190 - 6 * 56;
    EXPECT_TRUE(parse(b).ok());
}

TEST(Elf, PtPhdrAtMostOnce) {
    ElfBuilder b = ElfBuilder::static_pie();
    b.phdrs.push_back(b.phdrs[0]);
    expect_enoexec(b);
}

TEST(Elf, GnuStackFlags) {
    ElfBuilder b;
    b.phdrs[4].flags = R | W | X;
    auto with_x = parse(b);
    ASSERT_TRUE(with_x.ok());
    EXPECT_TRUE(with_x->executable_stack);
    // Without PT_GNU_STACK: not executable in this kernel.
    b.phdrs.pop_back();
    auto without = parse(b);
    ASSERT_TRUE(without.ok());
    EXPECT_FALSE(without->executable_stack);
}

TEST(Elf, OtherSegmentTypesAreIgnored) {
    ElfBuilder b;
    b.phdrs.push_back(segment(elf::kSegmentNote, R, 0x190, 0x400190, 0x20, 0x20, 4));
    b.phdrs.push_back(segment(elf::kSegmentTls, R, 0x2fc0, 0x403fc0, 0x10, 0x20, 8));
    b.phdrs.push_back(segment(0x6474e552 /*PT_GNU_RELRO*/, R, 0x2fc0, 0x403fc0, 0x40, 0x40, 1));
    // Garbage in a type this parser does not read is not its business.
    b.phdrs.push_back(segment(0x12345678, R, ~0ull, ~0ull, ~0ull, 0, 3));
    auto result = parse(b);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->segment_count, 4u);
}

TEST(Elf, EmptyLoadSegmentsAreNotListed) {
    ElfBuilder b;
    b.phdrs.insert(b.phdrs.begin() + 2, load(R, 0x1800, 0x401800, 0, 0));
    auto result = parse(b);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->segment_count, 4u);
    EXPECT_EQ(result->segments[2].vaddr, 0x402000u);
}

TEST(Elf, LoadAlignIsTheLargestSegmentAlignment) {
    ElfBuilder b = ElfBuilder::static_pie();
    b.phdrs[2].align = 0x200000;
    b.phdrs[1].align = 0;  // no requirement
    b.phdrs[3].align = 1;  // no requirement
    auto result = parse(b);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->load_align, 0x200000u);
    EXPECT_EQ(result->segments[0].align, 0u);
}

TEST(Elf, UnknownFlagBitsAreDropped) {
    ElfBuilder b;
    b.phdrs[1].flags = R | X | 0xf0000000;  // PF_MASKPROC bits
    auto result = parse(b);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->segments[1].flags, R | X);
}

TEST(Elf, SegmentEndingExactlyAtTheTopOfUserSpace) {
    ElfBuilder b;
    b.phdrs[3] = load(R | W, 0x2000, elf::kUserAddressEnd - 0x2000, 0x100, 0x2000);
    auto result = parse(b);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->segments[3].end(), elf::kUserAddressEnd);
    b.phdrs[3].memsz += 1;
    expect_enoexec(b);
}

TEST(Elf, SegmentsMayTouch) {
    ElfBuilder b;
    // .rodata ends exactly where .data begins.
    b.phdrs[2] = load(R, 0x2000, 0x402000, 0x100, 0x1fc0);
    EXPECT_TRUE(parse(b).ok());
    b.phdrs[2].memsz += 1;
    expect_enoexec(b);
}

TEST(Elf, SixteenLoadSegmentsButNotSeventeen) {
    ElfBuilder b;
    b.phdrs.clear();
    for (uint64_t i = 1; i <= 16; ++i) b.phdrs.push_back(load(R | X, 0x1000 * i, 0x400000 + 0x1000 * i, 8, 8));
    b.header.entry = 0x401000;
    b.file_size = 0x12000;
    auto result = parse(b);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->segment_count, 16u);
    b.phdrs.push_back(load(R, 0x11000, 0x411000, 8, 8));
    expect_enoexec(b);
}

// ---- Rejected files.

TEST(Elf, RejectsShortOrMissingFiles) {
    std::vector<uint8_t> bytes = ElfBuilder().bytes();
    EXPECT_EQ(k::parse_elf_executable(nullptr, 0).error(), Errno::enoexec);
    EXPECT_EQ(k::parse_elf_executable(nullptr, 100).error(), Errno::enoexec);
    for (size_t size = 0; size <= sizeof(Elf64Header); ++size) {
        EXPECT_EQ(parse_exact(bytes, size).error(), Errno::enoexec) << size;
    }
}

TEST(Elf, RejectsBadIdentification) {
    for (size_t i = 0; i < 4; ++i) {
        ElfBuilder b;
        b.header.ident[i] ^= 0x20;
        expect_enoexec(b);
    }
    ElfBuilder b;
    b.header.ident[elf::kIdentClass] = 1;  // ELFCLASS32
    expect_enoexec(b);
    b = ElfBuilder();
    b.header.ident[elf::kIdentClass] = 0;
    expect_enoexec(b);
    b = ElfBuilder();
    b.header.ident[elf::kIdentData] = 2;  // ELFDATA2MSB
    expect_enoexec(b);
    b = ElfBuilder();
    b.header.ident[elf::kIdentVersion] = 0;
    expect_enoexec(b);
    b = ElfBuilder();
    b.header.version = 0;
    expect_enoexec(b);
    b = ElfBuilder();
    b.header.version = 2;
    expect_enoexec(b);
}

TEST(Elf, RejectsOtherMachinesAndTypes) {
    ElfBuilder b;
    b.header.machine = 3;  // EM_386
    expect_enoexec(b);
    b.header.machine = 183;  // EM_AARCH64
    expect_enoexec(b);
    for (uint16_t type : {0 /*ET_NONE*/, 1 /*ET_REL*/, 4 /*ET_CORE*/, 0xfe00, 0xffff}) {
        b = ElfBuilder();
        b.header.type = type;
        expect_enoexec(b);
    }
}

TEST(Elf, RejectsAnInterpreter) {
    // A dynamically linked PIE...
    ElfBuilder b = ElfBuilder::static_pie();
    b.phdrs.insert(b.phdrs.begin() + 1, segment(elf::kSegmentInterp, R, 0x238, 0x238, 0x19, 0x19, 1));
    expect_enoexec(b);
    // ... and a dynamically linked ET_EXEC.
    b = ElfBuilder();
    b.phdrs.push_back(segment(elf::kSegmentInterp, R, 0x190, 0x400190, 0x1c, 0x1c, 1));
    expect_enoexec(b);
}

TEST(Elf, RejectsBadProgramHeaderTables) {
    for (uint16_t phentsize : {0, 32, 55, 57, 64}) {
        ElfBuilder b;
        b.header.phentsize = phentsize;
        expect_enoexec(b);
    }
    ElfBuilder b;
    b.phdrs.clear();  // phnum 0
    expect_enoexec(b);

    // Table overlapping the ELF header.
    for (uint64_t phoff : {0, 8, 63}) {
        b = ElfBuilder();
        b.header.phoff = phoff;
        expect_enoexec(b);
    }
    // Table past the end, partly or wholly, or at an offset that wraps.
    b = ElfBuilder();
    std::vector<uint8_t> bytes = b.bytes();
    size_t table_size = b.phdrs.size() * 56;
    for (uint64_t phoff : {bytes.size() - table_size + 1, bytes.size(), bytes.size() + 1, uint64_t{1} << 63,
                           ~uint64_t{0} - 100, ~uint64_t{0}}) {
        Elf64Header h;
        std::memcpy(&h, bytes.data(), sizeof(h));
        h.phoff = phoff;
        std::vector<uint8_t> changed = bytes;
        std::memcpy(changed.data(), &h, sizeof(h));
        EXPECT_EQ(parse_exact(changed).error(), Errno::enoexec) << phoff;
    }
}

TEST(Elf, RejectsExtendedProgramHeaderNumbering) {
    // PN_XNUM: the count would be in section header 0. The table is
    // otherwise in bounds (the file is large enough for 0xffff entries).
    ElfBuilder b;
    std::vector<uint8_t> bytes = b.bytes();
    bytes.resize(64 + 0xffff * 56 + 16);
    Elf64Header h;
    std::memcpy(&h, bytes.data(), sizeof(h));
    h.phnum = elf::kPhnumExtended;
    std::memcpy(bytes.data(), &h, sizeof(h));
    EXPECT_EQ(parse_exact(bytes).error(), Errno::enoexec);
}

TEST(Elf, RejectsFilesWithoutLoadSegments) {
    ElfBuilder b;
    b.phdrs = {segment(elf::kSegmentGnuStack, R | W, 0, 0, 0, 0, 16)};
    expect_enoexec(b);
    // Only empty ones.
    b.phdrs = {load(R | X, 0x1000, 0x401000, 0, 0)};
    b.header.entry = 0x401000;
    expect_enoexec(b);
}

TEST(Elf, RejectsFileSizeAboveMemorySize) {
    ElfBuilder b;
    b.phdrs[3].filesz = b.phdrs[3].memsz + 1;
    expect_enoexec(b);
}

TEST(Elf, RejectsSegmentsReachingPastTheFile) {
    ElfBuilder b;
    std::vector<uint8_t> bytes = b.bytes();
    // The last segment's bytes end exactly at the end of the file.
    b.file_size = 0x2fc0 + 0x50;
    EXPECT_TRUE(parse(b).ok());
    b.phdrs[3].filesz += 1;
    expect_enoexec(b);
    // offset + filesz wraps around.
    b = ElfBuilder();
    b.phdrs[1].offset = ~uint64_t{0} - 0x7ff;  // + filesz 0x800 = 2^64, which wraps to 0
    b.phdrs[1].vaddr = 0x400000 + (b.phdrs[1].offset % 0x1000);  // 0x400800: fine but for the offset
    b.header.entry = b.phdrs[1].vaddr;
    expect_enoexec(b);
    b = ElfBuilder();
    b.phdrs[3].offset = 0x7fc0 + (uint64_t{1} << 62);
    expect_enoexec(b);
    // An empty (filesz 0) segment with an offset past the end.
    b = ElfBuilder();
    b.phdrs[3].filesz = 0;
    b.phdrs[3].offset = 0x10fc0;
    expect_enoexec(b);
}

TEST(Elf, RejectsSegmentsOutsideUserSpace) {
    ElfBuilder b;
    b.phdrs[3].vaddr = elf::kUserAddressEnd + 0xfc0;
    expect_enoexec(b);
    b.phdrs[3].vaddr = 0xffff'ffff'8000'0fc0;  // the kernel image
    expect_enoexec(b);
    // vaddr + memsz wraps to a small address.
    b.phdrs[3].vaddr = 0x403fc0;
    b.phdrs[3].memsz = ~uint64_t{0} - 0x403fc0 + 0x1000;
    expect_enoexec(b);
    // A static PIE claiming more than user space in size.
    b = ElfBuilder::static_pie();
    b.phdrs[3].memsz = elf::kUserAddressEnd;
    expect_enoexec(b);
}

TEST(Elf, RejectsOffsetAndAddressNotCongruent) {
    ElfBuilder b;
    b.phdrs[1].vaddr += 0x10;
    b.header.entry = b.phdrs[1].vaddr;
    expect_enoexec(b);
    b = ElfBuilder();
    b.phdrs[3].offset = 0x2fc8;
    expect_enoexec(b);
    // Congruent modulo the page size but not in the same page: fine.
    b = ElfBuilder();
    b.phdrs[2].offset = 0x1000;
    EXPECT_TRUE(parse(b).ok());
}

TEST(Elf, RejectsAlignmentThatIsNotAPowerOfTwo) {
    for (uint64_t align : {3, 0x1800, 0x3000}) {
        ElfBuilder b;
        b.phdrs[2].align = align;
        expect_enoexec(b);
    }
}

TEST(Elf, RejectsOverlappingOrUnsortedSegments) {
    ElfBuilder b;
    std::swap(b.phdrs[1], b.phdrs[2]);
    expect_enoexec(b);
    // .text overlapping the first segment by one byte.
    b = ElfBuilder();
    b.phdrs[0].memsz = b.phdrs[0].filesz = 0x1001;
    expect_enoexec(b);
    // Two segments at the same address.
    b = ElfBuilder();
    b.phdrs[2] = b.phdrs[1];
    expect_enoexec(b);
    // One inside another.
    b = ElfBuilder();
    b.phdrs[1].memsz = 0x4000;
    expect_enoexec(b);
}

TEST(Elf, RejectsEntryOutsideExecutableSegments) {
    ElfBuilder b;
    // In no segment, in a read-only one, in a writable one, in .bss.
    for (uint64_t entry : {0ull, 0x3ff000ull, 0x400100ull, 0x402000ull, 0x404000ull, 0x501000ull}) {
        b.header.entry = entry;
        expect_enoexec(b);
    }
    // First and last byte of .text are fine; one past is not.
    b.header.entry = 0x401000;
    EXPECT_TRUE(parse(b).ok());
    b.header.entry = 0x4017ff;
    EXPECT_TRUE(parse(b).ok());
    b.header.entry = 0x401800;
    expect_enoexec(b);
    // Executable without PF_R is still executable.
    b.header.entry = 0x401000;
    b.phdrs[1].flags = X;
    EXPECT_TRUE(parse(b).ok());
}

// ---- Robustness.

TEST(Elf, TruncationAtEveryLength) {
    // The last segment's bytes end at the end of the file, so every shorter
    // prefix is missing something and must be refused without reading past it.
    for (ElfBuilder b : {ElfBuilder(), ElfBuilder::static_pie()}) {
        b.file_size = 0;
        std::vector<uint8_t> bytes = b.bytes();
        size_t full = b.phdrs[3].offset + b.phdrs[3].filesz;
        bytes.resize(full);
        ASSERT_TRUE(parse_exact(bytes).ok());
        for (size_t size = 0; size < full; ++size) {
            EXPECT_FALSE(parse_exact(bytes, size).ok()) << size;
        }
    }
}

TEST(Elf, RandomCorruptionKeepsThePromises) {
    std::mt19937_64 rng(12345);
    size_t accepted = 0;
    for (int round = 0; round < 5000; ++round) {
        ElfBuilder b = round % 2 ? ElfBuilder() : ElfBuilder::static_pie();
        std::vector<uint8_t> bytes = b.bytes();
        // Corrupt a few bytes of the headers, sometimes to extreme values.
        size_t header_bytes = 64 + b.phdrs.size() * 56;
        int changes = 1 + static_cast<int>(rng() % 4);
        for (int c = 0; c < changes; ++c) {
            size_t at = rng() % header_bytes;
            switch (rng() % 3) {
            case 0: bytes[at] = static_cast<uint8_t>(rng()); break;
            case 1: bytes[at] = 0xff; break;
            default: bytes[at] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
            }
        }
        if (rng() % 4 == 0) bytes.resize(rng() % bytes.size());
        auto result = parse_exact(bytes);
        if (result.ok()) {
            ++accepted;
            expect_invariants(result.value(), bytes.size());
            if (::testing::Test::HasFailure()) {
                FAIL() << "round " << round;
            }
        } else {
            EXPECT_EQ(result.error(), Errno::enoexec);
        }
    }
    // Many corruptions hit fields the parser ignores (paddr, shoff, ...).
    EXPECT_GT(accepted, 250u);
}

// ---- A real binary, when one is at hand: TEACHOS_ELF_SAMPLE names a file
// built with `musl-gcc -static -O2` (any program). Only facts every such
// file has are checked.
TEST(Elf, RealMuslStaticBinary) {
    const char* path = std::getenv("TEACHOS_ELF_SAMPLE");
    if (path == nullptr) GTEST_SKIP() << "set TEACHOS_ELF_SAMPLE to a musl-gcc -static executable";
    std::FILE* file = std::fopen(path, "rb");
    if (file == nullptr) GTEST_SKIP() << path << " not found";
    std::vector<uint8_t> bytes;
    uint8_t chunk[4096];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof(chunk), file)) > 0) bytes.insert(bytes.end(), chunk, chunk + n);
    std::fclose(file);

    auto result = parse_exact(bytes);
    ASSERT_TRUE(result.ok()) << k::errno_name(result.error());
    const ElfImage& image = result.value();
    expect_invariants(image, bytes.size());
    EXPECT_EQ(image.kind, ElfKind::executable);
    EXPECT_TRUE(image.phdr_in_memory);
    // GNU ld puts the table right after the ELF header in the first segment.
    EXPECT_EQ(image.phdr_vaddr, image.segments[0].vaddr + 64);
    EXPECT_FALSE(image.executable_stack);
    bool has_writable = false;
    for (size_t i = 0; i < image.segment_count; ++i) has_writable |= image.segments[i].writable();
    EXPECT_TRUE(has_writable);
}

}  // namespace
