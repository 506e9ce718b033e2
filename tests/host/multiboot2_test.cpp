// Host tests for libk/multiboot2: real binary information structures, built
// byte by byte the way GRUB lays them out, then parsed from an exactly-sized
// heap buffer so AddressSanitizer catches any read past total_size.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "libk/boot_info.h"
#include "libk/multiboot2.h"

namespace {

using k::BootInfo;
using k::multiboot2::TagType;

template <typename T> void append(std::vector<uint8_t>& out, T value) {
    uint8_t raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    out.insert(out.end(), raw, raw + sizeof(T));
}

void append_string(std::vector<uint8_t>& out, const std::string& s, bool terminate = true) {
    out.insert(out.end(), s.begin(), s.end());
    if (terminate) out.push_back(0);
}

// Builds a Multiboot2 information structure: header, tags (each padded to 8
// bytes with `padding_byte`), End tag, total_size.
class InfoBuilder {
public:
    explicit InfoBuilder(uint8_t padding_byte = 0) : padding_byte_(padding_byte) { bytes_.resize(8, 0); }

    // A tag whose size field is 8 + payload size unless `size_field` says otherwise.
    InfoBuilder& tag(uint32_t type, const std::vector<uint8_t>& payload, int64_t size_field = -1) {
        append<uint32_t>(bytes_, type);
        append<uint32_t>(bytes_, size_field >= 0 ? uint32_t(size_field) : uint32_t(8 + payload.size()));
        bytes_.insert(bytes_.end(), payload.begin(), payload.end());
        while (bytes_.size() % 8 != 0) bytes_.push_back(padding_byte_);
        return *this;
    }
    InfoBuilder& tag(TagType type, const std::vector<uint8_t>& payload, int64_t size_field = -1) {
        return tag(uint32_t(type), payload, size_field);
    }

    InfoBuilder& string_tag(TagType type, const std::string& s, bool terminate = true) {
        std::vector<uint8_t> payload;
        append_string(payload, s, terminate);
        return tag(type, payload);
    }

    InfoBuilder& module(uint32_t start, uint32_t end, const std::string& cmdline) {
        std::vector<uint8_t> payload;
        append<uint32_t>(payload, start);
        append<uint32_t>(payload, end);
        append_string(payload, cmdline);
        return tag(TagType::Module, payload);
    }

    struct Region {
        uint64_t base, length;
        uint32_t type;
    };
    InfoBuilder& memory_map(const std::vector<Region>& regions, uint32_t entry_size = 24,
                            uint32_t entry_version = 0) {
        std::vector<uint8_t> payload;
        append<uint32_t>(payload, entry_size);
        append<uint32_t>(payload, entry_version);
        for (const Region& r : regions) {
            std::vector<uint8_t> entry;
            append<uint64_t>(entry, r.base);
            append<uint64_t>(entry, r.length);
            append<uint32_t>(entry, r.type);
            append<uint32_t>(entry, 0);
            entry.resize(entry_size, 0xEE);  // extra bytes of a larger entry_size; truncates a smaller one
            payload.insert(payload.end(), entry.begin(), entry.end());
        }
        return tag(TagType::MemoryMap, payload);
    }

    InfoBuilder& framebuffer(uint64_t addr, uint32_t pitch, uint32_t width, uint32_t height, uint8_t bpp,
                             uint8_t type, const std::vector<uint8_t>& colour_info) {
        std::vector<uint8_t> payload;
        append<uint64_t>(payload, addr);
        append<uint32_t>(payload, pitch);
        append<uint32_t>(payload, width);
        append<uint32_t>(payload, height);
        append<uint8_t>(payload, bpp);
        append<uint8_t>(payload, type);
        append<uint16_t>(payload, 0);
        payload.insert(payload.end(), colour_info.begin(), colour_info.end());
        return tag(TagType::Framebuffer, payload);
    }

    struct EfiDescriptor {
        uint32_t type;
        uint64_t phys_start, pages;
    };
    InfoBuilder& efi_memory_map(const std::vector<EfiDescriptor>& descriptors, uint32_t descriptor_size = 48) {
        std::vector<uint8_t> payload;
        append<uint32_t>(payload, descriptor_size);
        append<uint32_t>(payload, 1);
        for (const EfiDescriptor& d : descriptors) {
            std::vector<uint8_t> entry;
            append<uint32_t>(entry, d.type);
            append<uint32_t>(entry, 0);
            append<uint64_t>(entry, d.phys_start);
            append<uint64_t>(entry, 0xFFFF800000000000ull);  // virtual start: ignored
            append<uint64_t>(entry, d.pages);
            append<uint64_t>(entry, 0xF);  // attributes: ignored
            entry.resize(descriptor_size, 0xDD);
            payload.insert(payload.end(), entry.begin(), entry.end());
        }
        return tag(TagType::EfiMemoryMap, payload);
    }

    // The finished structure; total_size is the real size unless overridden.
    std::vector<uint8_t> finish(bool with_end_tag = true, int64_t total_size = -1) {
        std::vector<uint8_t> out = bytes_;
        if (with_end_tag) {
            append<uint32_t>(out, 0);
            append<uint32_t>(out, 8);
        }
        uint32_t size = total_size >= 0 ? uint32_t(total_size) : uint32_t(out.size());
        std::memcpy(out.data(), &size, 4);
        return out;
    }

private:
    std::vector<uint8_t> bytes_;
    uint8_t padding_byte_;
};

std::vector<uint8_t> rsdp_bytes(uint8_t revision, size_t length, uint8_t fill) {
    std::vector<uint8_t> rsdp(length, fill);
    std::memcpy(rsdp.data(), "RSD PTR ", 8);
    rsdp[15] = revision;
    return rsdp;
}

struct Parsed {
    k::Result<void> result;
    std::unique_ptr<BootInfo> info;
};

// Parses from a heap copy of exactly the given bytes, so ASan reports any
// read beyond them. Garbage-fills the BootInfo first: parse must clear it.
Parsed parse(const std::vector<uint8_t>& bytes, int64_t available = -1) {
    auto buffer = std::make_unique<uint8_t[]>(bytes.size());
    if (!bytes.empty()) std::memcpy(buffer.get(), bytes.data(), bytes.size());
    auto info = std::make_unique<BootInfo>();
    std::memset(static_cast<void*>(info.get()), 0xA5, sizeof(BootInfo));
    uint64_t avail = available >= 0 ? uint64_t(available) : bytes.size();
    k::Result<void> result = k::parse_multiboot2(bytes.empty() ? nullptr : buffer.get(), avail, *info);
    return Parsed{result, std::move(info)};
}

// The warning whose message contains `needle`, or nullptr.
const k::BootWarning* find_warning(const BootInfo& info, const char* needle) {
    for (uint32_t i = 0; i < info.warning_count; i++) {
        if (std::strstr(info.warnings[i].message, needle) != nullptr) return &info.warnings[i];
    }
    return nullptr;
}

std::string warnings_text(const BootInfo& info) {
    std::string text;
    for (uint32_t i = 0; i < info.warning_count; i++) {
        text += std::string(info.warnings[i].message) + " " + std::to_string(info.warnings[i].value) + "\n";
    }
    return text;
}

// A minimal valid structure around the tags a test cares about.
InfoBuilder with_memory_map(uint8_t padding_byte = 0) {
    InfoBuilder builder(padding_byte);
    builder.memory_map({{0, 0x9F000, 1}});
    return builder;
}

// --- The header -----------------------------------------------------------

TEST(Multiboot2Header, ChecksumMakesTheHeaderSumToZero) {
    constexpr uint32_t length = 24;
    constexpr uint32_t sum = k::multiboot2::kHeaderMagic + k::multiboot2::kArchitectureI386 + length +
                             k::multiboot2::header_checksum(k::multiboot2::kArchitectureI386, length);
    static_assert(sum == 0);
    EXPECT_EQ(k::multiboot2::header_checksum(0, 16), 0x17ADAF1Au);
}

TEST(Multiboot2Header, NullPointerIsEinval) {
    BootInfo info;
    auto result = k::parse_multiboot2(nullptr, 4096, info);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error(), k::Errno::einval);
    EXPECT_EQ(info.protocol, k::BootProtocol::Multiboot2);
    EXPECT_EQ(info.warning_count, 1u);
}

TEST(Multiboot2Header, FewerThanEightBytesAvailableIsEinval) {
    auto parsed = parse({16, 0, 0, 0, 0, 0, 0});
    ASSERT_FALSE(parsed.result.ok());
    EXPECT_EQ(parsed.result.error(), k::Errno::einval);
}

TEST(Multiboot2Header, TotalSizeTooSmallForAnEndTagIsEinval) {
    std::vector<uint8_t> bytes = InfoBuilder().finish(true, 12);
    auto parsed = parse(bytes);
    ASSERT_FALSE(parsed.result.ok());
    EXPECT_EQ(parsed.result.error(), k::Errno::einval);
    const k::BootWarning* w = find_warning(*parsed.info, "total_size too small");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->value, 12u);
}

TEST(Multiboot2Header, TotalSizeLargerThanAvailableIsEinval) {
    std::vector<uint8_t> bytes = with_memory_map().finish(true);
    uint32_t real_size = uint32_t(bytes.size());
    bytes = with_memory_map().finish(true, real_size + 64);  // claims 64 bytes that are not there
    auto parsed = parse(bytes);
    ASSERT_FALSE(parsed.result.ok());
    EXPECT_EQ(parsed.result.error(), k::Errno::einval);
    const k::BootWarning* w = find_warning(*parsed.info, "larger than the bytes available");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->value, real_size + 64);
    EXPECT_EQ(parsed.info->memory_region_count, 0u);
}

TEST(Multiboot2Header, TotalSizeAboveOneMebibyteIsEinval) {
    std::vector<uint8_t> bytes = with_memory_map().finish(true, 2 * 1024 * 1024);
    auto parsed = parse(bytes, 4 * 1024 * 1024);  // even if the caller claims it is readable
    ASSERT_FALSE(parsed.result.ok());
    EXPECT_EQ(parsed.result.error(), k::Errno::einval);
    EXPECT_NE(find_warning(*parsed.info, "implausibly large"), nullptr);
}

TEST(Multiboot2Header, SmallestValidStructureIsJustTheEndTag) {
    auto parsed = parse(InfoBuilder().finish());
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_EQ(parsed.info->protocol, k::BootProtocol::Multiboot2);
    EXPECT_EQ(parsed.info->cmdline[0], '\0');
    EXPECT_EQ(parsed.info->memory_region_count, 0u);
    EXPECT_FALSE(parsed.info->framebuffer.present);
    // Only complaint: no memory map (the caller decides whether that is fatal).
    ASSERT_EQ(parsed.info->warning_count, 1u) << warnings_text(*parsed.info);
    EXPECT_NE(find_warning(*parsed.info, "no memory map"), nullptr);
}

// --- A structure like the one GRUB builds ------------------------------------

TEST(Multiboot2Parse, EveryTagAGrubBootProduces) {
    std::vector<uint8_t> rgb = {16, 8, 8, 8, 0, 8};
    InfoBuilder builder;
    builder.string_tag(TagType::Cmdline, "init=/bin/sh console=ttyS0")
        .string_tag(TagType::BootLoaderName, "GRUB 2.06-13+deb12u1")
        .module(0x200000, 0x280123, "initrd.cpio")
        .module(0x281000, 0x281000, "")
        .tag(TagType::BasicMeminfo, {0x7F, 0x02, 0, 0, 0x00, 0xFC, 0x03, 0})  // 639 KiB, 261120 KiB
        .tag(TagType::BootDevice, {0x80, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF})
        .memory_map({{0x0, 0x9FC00, 1},
                     {0x9FC00, 0x400, 2},
                     {0xF0000, 0x10000, 2},
                     {0x100000, 0x7EE0000, 1},
                     {0x7FE0000, 0x20000, 3},
                     {0x8000000, 0x1000, 4},
                     {0x8001000, 0x1000, 5},
                     {0xFEFFC000, 0x4000, 7},  // a type the spec does not define
                     {0x100000000, 0x40000000, 1}})
        .framebuffer(0xFD000000, 4096, 1024, 768, 32, 1, rgb)
        .tag(TagType::Efi64SystemTable, {0x18, 0xEF, 0xBE, 0x7F, 0, 0, 0, 0})
        .tag(TagType::AcpiOldRsdp, rsdp_bytes(0, 20, 0x11))
        .tag(TagType::AcpiNewRsdp, rsdp_bytes(2, 36, 0x22))
        .efi_memory_map({{7, 0x100000, 0x7EE0}, {3, 0x7FE0000, 0x20}, {9, 0x8000000, 1}})
        .tag(TagType::EfiBootServicesNotTerminated, {})
        .tag(TagType::ImageLoadBase, {0x00, 0x00, 0x20, 0x00});
    auto parsed = parse(builder.finish());
    ASSERT_TRUE(parsed.result.ok());
    const BootInfo& info = *parsed.info;
    EXPECT_EQ(info.warning_count, 0u) << warnings_text(info);
    EXPECT_EQ(info.warnings_dropped, 0u);
    EXPECT_EQ(info.protocol, k::BootProtocol::Multiboot2);
    EXPECT_STREQ(info.cmdline, "init=/bin/sh console=ttyS0");
    EXPECT_STREQ(info.bootloader_name, "GRUB 2.06-13+deb12u1");

    ASSERT_EQ(info.module_count, 2u);
    EXPECT_EQ(info.modules[0].phys_start, 0x200000u);
    EXPECT_EQ(info.modules[0].phys_end, 0x280123u);
    EXPECT_STREQ(info.modules[0].cmdline, "initrd.cpio");
    EXPECT_EQ(info.modules[1].phys_start, 0x281000u);
    EXPECT_EQ(info.modules[1].phys_end, 0x281000u);
    EXPECT_STREQ(info.modules[1].cmdline, "");

    EXPECT_TRUE(info.has_basic_meminfo);
    EXPECT_EQ(info.mem_lower_kib, 639u);
    EXPECT_EQ(info.mem_upper_kib, 261120u);

    ASSERT_EQ(info.memory_region_count, 9u);
    using k::MemoryType;
    const k::MemoryRegion expected[] = {
        {0x0, 0x9FC00, MemoryType::Usable},
        {0x9FC00, 0x400, MemoryType::Reserved},
        {0xF0000, 0x10000, MemoryType::Reserved},
        {0x100000, 0x7EE0000, MemoryType::Usable},
        {0x7FE0000, 0x20000, MemoryType::AcpiReclaimable},
        {0x8000000, 0x1000, MemoryType::AcpiNvs},
        {0x8001000, 0x1000, MemoryType::BadMemory},
        {0xFEFFC000, 0x4000, MemoryType::Reserved},
        {0x100000000, 0x40000000, MemoryType::Usable},
    };
    for (size_t i = 0; i < 9; i++) {
        SCOPED_TRACE(i);
        EXPECT_EQ(info.memory_regions[i].base, expected[i].base);
        EXPECT_EQ(info.memory_regions[i].length, expected[i].length);
        EXPECT_EQ(info.memory_regions[i].type, expected[i].type);
    }
    EXPECT_EQ(info.total_usable_bytes(), 0x9FC00u + 0x7EE0000u + 0x40000000u);
    EXPECT_EQ(info.highest_usable_address(), 0x140000000u);

    const k::FramebufferInfo& fb = info.framebuffer;
    EXPECT_TRUE(fb.present);
    EXPECT_EQ(fb.type, k::FramebufferType::Rgb);
    EXPECT_EQ(fb.phys_address, 0xFD000000u);
    EXPECT_EQ(fb.pitch, 4096u);
    EXPECT_EQ(fb.width, 1024u);
    EXPECT_EQ(fb.height, 768u);
    EXPECT_EQ(fb.bpp, 32);
    EXPECT_EQ(fb.red_shift, 16);
    EXPECT_EQ(fb.red_size, 8);
    EXPECT_EQ(fb.green_shift, 8);
    EXPECT_EQ(fb.green_size, 8);
    EXPECT_EQ(fb.blue_shift, 0);
    EXPECT_EQ(fb.blue_size, 8);

    EXPECT_TRUE(info.efi.has_system_table64);
    EXPECT_EQ(info.efi.system_table64, 0x7FBEEF18u);
    EXPECT_TRUE(info.efi.boot_services_active);
    EXPECT_TRUE(info.efi.has_memory_map);
    EXPECT_EQ(info.efi.descriptor_size, 48u);
    EXPECT_EQ(info.efi.descriptor_version, 1u);
    EXPECT_EQ(info.efi.descriptors_in_map, 3u);
    ASSERT_EQ(info.efi.descriptor_count, 3u);
    EXPECT_EQ(info.efi.descriptors[0].type, 7u);
    EXPECT_EQ(info.efi.descriptors[0].phys_start, 0x100000u);
    EXPECT_EQ(info.efi.descriptors[0].page_count, 0x7EE0u);
    EXPECT_EQ(info.efi.descriptors[1].type, 3u);
    EXPECT_EQ(info.efi.descriptors[1].phys_start, 0x7FE0000u);
    EXPECT_EQ(info.efi.descriptors[1].page_count, 0x20u);
    EXPECT_EQ(info.efi.descriptors[2].type, 9u);
    EXPECT_EQ(info.efi.descriptors[2].phys_start, 0x8000000u);
    EXPECT_EQ(info.efi.descriptors[2].page_count, 1u);

    EXPECT_EQ(info.acpi_rsdp.source, k::RsdpSource::Multiboot2AcpiNew);
    EXPECT_EQ(info.acpi_rsdp.revision, 2);
    ASSERT_EQ(info.acpi_rsdp.length, 36);
    std::vector<uint8_t> expected_rsdp = rsdp_bytes(2, 36, 0x22);
    EXPECT_EQ(std::memcmp(info.acpi_rsdp.bytes, expected_rsdp.data(), 36), 0);
    EXPECT_FALSE(info.acpi_rsdp.has_phys_address);

    EXPECT_TRUE(info.has_load_base);
    EXPECT_EQ(info.load_base, 0x200000u);
}

TEST(Multiboot2Parse, NewRsdpWinsEvenWhenTheOldTagComesAfterIt) {
    auto parsed = parse(with_memory_map()
                            .tag(TagType::AcpiNewRsdp, rsdp_bytes(2, 36, 0x22))
                            .tag(TagType::AcpiOldRsdp, rsdp_bytes(0, 20, 0x11))
                            .finish());
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_EQ(parsed.info->acpi_rsdp.source, k::RsdpSource::Multiboot2AcpiNew);
    EXPECT_EQ(parsed.info->acpi_rsdp.length, 36);
    EXPECT_EQ(parsed.info->acpi_rsdp.bytes[20], 0x22);
}

TEST(Multiboot2Parse, OldRsdpAloneIsCopied) {
    auto parsed = parse(with_memory_map().tag(TagType::AcpiOldRsdp, rsdp_bytes(0, 20, 0x11)).finish());
    ASSERT_TRUE(parsed.result.ok());
    const k::AcpiRsdpInfo& rsdp = parsed.info->acpi_rsdp;
    EXPECT_EQ(rsdp.source, k::RsdpSource::Multiboot2AcpiOld);
    EXPECT_EQ(rsdp.revision, 0);
    ASSERT_EQ(rsdp.length, 20);
    EXPECT_EQ(std::memcmp(rsdp.bytes, "RSD PTR ", 8), 0);
    EXPECT_EQ(rsdp.bytes[19], 0x11);
}

TEST(Multiboot2Parse, UnknownAndUnusedTagsAreSkippedSilently) {
    auto parsed = parse(InfoBuilder(0x5A)
                            .tag(99, {1, 2, 3, 4, 5})  // size 13: the next tag starts at the 8-byte boundary
                            .tag(TagType::ElfSections, std::vector<uint8_t>(37, 0x77))
                            .tag(0xFFFFFFFFu, {})
                            .string_tag(TagType::Cmdline, "after unknown tags")
                            .memory_map({{0, 0x1000, 1}})
                            .finish());
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_EQ(parsed.info->warning_count, 0u) << warnings_text(*parsed.info);
    EXPECT_STREQ(parsed.info->cmdline, "after unknown tags");
    EXPECT_EQ(parsed.info->memory_region_count, 1u);
}

TEST(Multiboot2Parse, FramebufferIndexedAndEgaText) {
    auto indexed = parse(with_memory_map().framebuffer(0xA0000, 320, 320, 200, 8, 0, {2, 0, 0, 0}).finish());
    ASSERT_TRUE(indexed.result.ok());
    EXPECT_TRUE(indexed.info->framebuffer.present);
    EXPECT_EQ(indexed.info->framebuffer.type, k::FramebufferType::Indexed);
    EXPECT_EQ(indexed.info->framebuffer.bpp, 8);
    EXPECT_EQ(indexed.info->framebuffer.width, 320u);

    auto text = parse(with_memory_map().framebuffer(0xB8000, 160, 80, 25, 16, 2, {}).finish());
    ASSERT_TRUE(text.result.ok());
    EXPECT_EQ(text.info->warning_count, 0u) << warnings_text(*text.info);
    EXPECT_TRUE(text.info->framebuffer.present);
    EXPECT_EQ(text.info->framebuffer.type, k::FramebufferType::EgaText);
    EXPECT_EQ(text.info->framebuffer.phys_address, 0xB8000u);
    EXPECT_EQ(text.info->framebuffer.pitch, 160u);
    EXPECT_EQ(text.info->framebuffer.width, 80u);
    EXPECT_EQ(text.info->framebuffer.height, 25u);
}

TEST(Multiboot2Parse, MemoryMapWithLargerEntriesStepsByEntrySize) {
    auto parsed = parse(InfoBuilder().memory_map({{0, 0x1000, 1}, {0x1000, 0x2000, 2}, {0x3000, 0x4000, 1}}, 40).finish());
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_EQ(parsed.info->warning_count, 0u) << warnings_text(*parsed.info);
    ASSERT_EQ(parsed.info->memory_region_count, 3u);
    EXPECT_EQ(parsed.info->memory_regions[1].base, 0x1000u);
    EXPECT_EQ(parsed.info->memory_regions[1].length, 0x2000u);
    EXPECT_EQ(parsed.info->memory_regions[1].type, k::MemoryType::Reserved);
    EXPECT_EQ(parsed.info->memory_regions[2].base, 0x3000u);
    EXPECT_EQ(parsed.info->memory_regions[2].length, 0x4000u);
}

TEST(Multiboot2Parse, MemoryMapLaterEntryVersionIsReadWithAWarning) {
    auto parsed = parse(InfoBuilder().memory_map({{0, 0x1000, 1}}, 24, 1).finish());
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_EQ(parsed.info->memory_region_count, 1u);
    const k::BootWarning* w = find_warning(*parsed.info, "entry_version");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->value, 1u);
}

// --- Malformed framing: the walk stops, earlier tags are kept -----------------

class Multiboot2Framing : public ::testing::TestWithParam<uint32_t> {};

TEST_P(Multiboot2Framing, TagSizeBelowHeaderStopsTheWalk) {
    InfoBuilder builder;
    builder.string_tag(TagType::Cmdline, "kept");
    std::vector<uint8_t> before = builder.finish(false);
    size_t bad_offset = before.size();
    builder.tag(TagType::BootLoaderName, {}, GetParam());  // size field 0 or 7
    builder.memory_map({{0, 0x1000, 1}});                  // never reached
    auto parsed = parse(builder.finish());
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_STREQ(parsed.info->cmdline, "kept");
    EXPECT_EQ(parsed.info->memory_region_count, 0u);
    const k::BootWarning* w = find_warning(*parsed.info, "tag size below 8");
    ASSERT_NE(w, nullptr) << warnings_text(*parsed.info);
    EXPECT_EQ(w->value, bad_offset);
    EXPECT_NE(find_warning(*parsed.info, "no memory map"), nullptr);
    EXPECT_EQ(find_warning(*parsed.info, "no End tag"), nullptr);  // one report per problem
}

INSTANTIATE_TEST_SUITE_P(Multiboot2SizesZeroAndSeven, Multiboot2Framing, ::testing::Values(0u, 7u));

TEST(Multiboot2Malformed, TagOverrunningTheStructureStopsTheWalk) {
    InfoBuilder builder;
    builder.memory_map({{0, 0x1000, 1}});
    size_t bad_offset = builder.finish(false).size();
    builder.tag(TagType::Cmdline, {'a', 'b', 0}, 4000);  // claims 4000 bytes
    auto parsed = parse(builder.finish());
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_EQ(parsed.info->memory_region_count, 1u);
    EXPECT_EQ(parsed.info->cmdline[0], '\0');
    const k::BootWarning* w = find_warning(*parsed.info, "overruns");
    ASSERT_NE(w, nullptr) << warnings_text(*parsed.info);
    EXPECT_EQ(w->value, bad_offset);
    EXPECT_EQ(parsed.info->warning_count, 1u) << warnings_text(*parsed.info);
}

TEST(Multiboot2Malformed, TagOverrunningByOneByte) {
    InfoBuilder builder;
    builder.memory_map({{0, 0x1000, 1}});
    std::vector<uint8_t> bytes = builder.tag(TagType::Cmdline, {'x', 'y', 'z', 0}).finish(false);
    // The cmdline tag is the last thing; cut the structure one byte short of it.
    bytes.resize(bytes.size() - 5);  // remove 4 padding bytes and the NUL
    uint32_t size = uint32_t(bytes.size());
    std::memcpy(bytes.data(), &size, 4);
    auto parsed = parse(bytes);
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_NE(find_warning(*parsed.info, "overruns"), nullptr) << warnings_text(*parsed.info);
    EXPECT_EQ(parsed.info->cmdline[0], '\0');
}

TEST(Multiboot2Malformed, MissingEndTagIsReportedAndTagsAreKept) {
    auto parsed = parse(InfoBuilder().string_tag(TagType::Cmdline, "no end").memory_map({{0, 0x1000, 1}}).finish(false));
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_STREQ(parsed.info->cmdline, "no end");
    EXPECT_EQ(parsed.info->memory_region_count, 1u);
    const k::BootWarning* w = find_warning(*parsed.info, "no End tag");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(parsed.info->warning_count, 1u) << warnings_text(*parsed.info);
}

TEST(Multiboot2Malformed, TrailingBytesTooFewForATagHeader) {
    std::vector<uint8_t> bytes = InfoBuilder().memory_map({{0, 0x1000, 1}}).finish(false);
    bytes.insert(bytes.end(), {1, 0, 0, 0});  // half a tag header
    uint32_t size = uint32_t(bytes.size());
    std::memcpy(bytes.data(), &size, 4);
    auto parsed = parse(bytes);
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_NE(find_warning(*parsed.info, "no End tag"), nullptr);
}

// --- Malformed contents: the tag is ignored, the walk goes on ------------------

TEST(Multiboot2Malformed, MemoryMapEntrySizeTooSmallIsIgnored) {
    auto parsed = parse(InfoBuilder().memory_map({{0, 0x1000, 1}, {0x1000, 0x1000, 1}}, 16)
                            .string_tag(TagType::Cmdline, "still parsed")
                            .finish());
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_EQ(parsed.info->memory_region_count, 0u);
    const k::BootWarning* w = find_warning(*parsed.info, "entry_size invalid");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->value, 16u);
    EXPECT_STREQ(parsed.info->cmdline, "still parsed");
}

TEST(Multiboot2Malformed, MemoryMapEntrySizeNotAMultipleOfEightIsIgnored) {
    auto parsed = parse(InfoBuilder().memory_map({{0, 0x1000, 1}, {0x1000, 0x1000, 1}}, 28).finish());
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_EQ(parsed.info->memory_region_count, 0u);
    const k::BootWarning* w = find_warning(*parsed.info, "entry_size invalid");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->value, 28u);
}

TEST(Multiboot2Malformed, MemoryMapEntrySizeHugeYieldsNoEntries) {
    std::vector<uint8_t> payload;
    append<uint32_t>(payload, 0xFFFFFFF8u);  // a multiple of 8, far larger than the tag
    append<uint32_t>(payload, 0);
    payload.insert(payload.end(), 24, 0x01);
    auto parsed = parse(InfoBuilder().tag(TagType::MemoryMap, payload).finish());
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_EQ(parsed.info->memory_region_count, 0u);
    EXPECT_NE(find_warning(*parsed.info, "partial entry"), nullptr);
}

TEST(Multiboot2Malformed, MemoryMapPartialTrailingEntryIsReported) {
    std::vector<uint8_t> payload;
    append<uint32_t>(payload, 24);
    append<uint32_t>(payload, 0);
    append<uint64_t>(payload, 0x100000);
    append<uint64_t>(payload, 0x200000);
    append<uint32_t>(payload, 1);
    append<uint32_t>(payload, 0);
    payload.insert(payload.end(), 10, 0xCC);  // 10 bytes of a second entry
    auto parsed = parse(InfoBuilder().tag(TagType::MemoryMap, payload).finish());
    ASSERT_TRUE(parsed.result.ok());
    ASSERT_EQ(parsed.info->memory_region_count, 1u);
    EXPECT_EQ(parsed.info->memory_regions[0].length, 0x200000u);
    const k::BootWarning* w = find_warning(*parsed.info, "partial entry");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->value, 10u);
}

TEST(Multiboot2Malformed, MemoryMapTooLongKeepsTheFirst256) {
    std::vector<InfoBuilder::Region> regions;
    for (uint64_t i = 0; i < 300; i++) regions.push_back({i * 0x1000, 0x1000, uint32_t(i % 2 ? 2 : 1)});
    auto parsed = parse(InfoBuilder().memory_map(regions).finish());
    ASSERT_TRUE(parsed.result.ok());
    ASSERT_EQ(parsed.info->memory_region_count, BootInfo::kMaxMemoryRegions);
    EXPECT_EQ(parsed.info->memory_regions[255].base, 255u * 0x1000);
    EXPECT_EQ(parsed.info->memory_regions[255].type, k::MemoryType::Reserved);
    const k::BootWarning* w = find_warning(*parsed.info, "memory map too long");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->value, 44u);
    EXPECT_EQ(parsed.info->warning_count, 1u) << warnings_text(*parsed.info);
}

TEST(Multiboot2Malformed, MemoryRegionWrappingPastTheTopIsClamped) {
    auto parsed = parse(InfoBuilder().memory_map({{0xFFFFFFFFFFFF0000ull, 0x20000, 1}}).finish());
    ASSERT_TRUE(parsed.result.ok());
    ASSERT_EQ(parsed.info->memory_region_count, 1u);
    const k::MemoryRegion& region = parsed.info->memory_regions[0];
    EXPECT_EQ(region.base, 0xFFFFFFFFFFFF0000ull);
    EXPECT_EQ(region.length, 0xFFFFull);
    EXPECT_NE(find_warning(*parsed.info, "wraps"), nullptr);
    EXPECT_EQ(parsed.info->highest_usable_address(), UINT64_MAX);
}

TEST(Multiboot2Malformed, UnterminatedCommandLineStopsAtTheTagsEnd) {
    // Padding bytes are 'Z': reading past the tag's size would pick them up.
    auto parsed = parse(with_memory_map('Z').string_tag(TagType::Cmdline, "abcde", false).finish());
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_STREQ(parsed.info->cmdline, "abcde");
    const k::BootWarning* w = find_warning(*parsed.info, "not NUL-terminated");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->value, uint64_t(TagType::Cmdline));
}

TEST(Multiboot2Malformed, UnterminatedStringAsTheLastByteOfTheBuffer) {
    // No End tag and no padding: the string's last byte is the buffer's last byte.
    std::vector<uint8_t> bytes = with_memory_map().finish(false);
    append<uint32_t>(bytes, uint32_t(TagType::BootLoaderName));
    append<uint32_t>(bytes, 8 + 3);
    bytes.insert(bytes.end(), {'G', 'R', 'U'});
    uint32_t size = uint32_t(bytes.size());
    std::memcpy(bytes.data(), &size, 4);
    auto parsed = parse(bytes);
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_STREQ(parsed.info->bootloader_name, "GRU");
    EXPECT_NE(find_warning(*parsed.info, "not NUL-terminated"), nullptr);
    EXPECT_NE(find_warning(*parsed.info, "no End tag"), nullptr);
}

TEST(Multiboot2Malformed, LongCommandLineIsTruncatedTo1023Bytes) {
    std::string long_line(1500, 'q');
    auto parsed = parse(with_memory_map().string_tag(TagType::Cmdline, long_line).finish());
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_EQ(std::strlen(parsed.info->cmdline), 1023u);
    EXPECT_EQ(std::string(parsed.info->cmdline), long_line.substr(0, 1023));
    const k::BootWarning* w = find_warning(*parsed.info, "command line truncated");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->value, 1500u);
}

TEST(Multiboot2Parse, CommandLineOf1023BytesFitsExactly) {
    std::string line(1023, 'w');
    auto parsed = parse(with_memory_map().string_tag(TagType::Cmdline, line).finish());
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_EQ(std::string(parsed.info->cmdline), line);
    EXPECT_EQ(parsed.info->warning_count, 0u) << warnings_text(*parsed.info);
}

TEST(Multiboot2Malformed, LongBootLoaderNameIsTruncated) {
    auto parsed = parse(with_memory_map().string_tag(TagType::BootLoaderName, std::string(100, 'n')).finish());
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_EQ(std::strlen(parsed.info->bootloader_name), 63u);
    EXPECT_NE(find_warning(*parsed.info, "boot loader name truncated"), nullptr);
}

TEST(Multiboot2Malformed, ModuleProblems) {
    InfoBuilder builder = with_memory_map();
    builder.module(0x5000, 0x4000, "backwards");           // ends before it starts
    builder.module(0x6000, 0x7000, std::string(200, 'm'));  // command line too long
    builder.tag(TagType::Module, {0, 0x10, 0, 0});          // too short for mod_start/mod_end
    auto parsed = parse(builder.finish());
    ASSERT_TRUE(parsed.result.ok());
    const BootInfo& info = *parsed.info;
    ASSERT_EQ(info.module_count, 1u);
    EXPECT_EQ(info.modules[0].phys_start, 0x6000u);
    EXPECT_EQ(info.modules[0].phys_end, 0x7000u);
    EXPECT_EQ(std::string(info.modules[0].cmdline), std::string(127, 'm'));
    EXPECT_NE(find_warning(info, "ends before it starts"), nullptr);
    EXPECT_NE(find_warning(info, "module command line truncated"), nullptr);
    const k::BootWarning* w = find_warning(info, "too short");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->value, uint64_t(TagType::Module));
    EXPECT_EQ(info.warning_count, 3u) << warnings_text(info);
}

TEST(Multiboot2Malformed, MoreThanSixteenModulesKeepsSixteen) {
    InfoBuilder builder = with_memory_map();
    for (uint32_t i = 0; i < 18; i++) builder.module(0x100000 * (i + 1), 0x100000 * (i + 1) + 0x10, "m" + std::to_string(i));
    auto parsed = parse(builder.finish());
    ASSERT_TRUE(parsed.result.ok());
    ASSERT_EQ(parsed.info->module_count, 16u);
    EXPECT_STREQ(parsed.info->modules[15].cmdline, "m15");
    EXPECT_EQ(parsed.info->warning_count, 2u) << warnings_text(*parsed.info);
    EXPECT_EQ(parsed.info->warnings[0].value, 0x100000u * 17);
    EXPECT_EQ(parsed.info->warnings[1].value, 0x100000u * 18);
}

TEST(Multiboot2Malformed, FramebufferRgbWithoutColourInfoIsIgnored) {
    auto parsed = parse(with_memory_map().framebuffer(0xFD000000, 4096, 1024, 768, 32, 1, {16, 8, 8}).finish());
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_FALSE(parsed.info->framebuffer.present);
    EXPECT_NE(find_warning(*parsed.info, "RGB colour info"), nullptr);
}

TEST(Multiboot2Malformed, FramebufferOfUnknownTypeIsIgnored) {
    auto parsed = parse(with_memory_map().framebuffer(0xFD000000, 4096, 1024, 768, 32, 9, {}).finish());
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_FALSE(parsed.info->framebuffer.present);
    const k::BootWarning* w = find_warning(*parsed.info, "unknown framebuffer type");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->value, 9u);
}

TEST(Multiboot2Malformed, ShortFixedSizeTagsAreIgnored) {
    auto parsed = parse(with_memory_map()
                            .tag(TagType::Efi64SystemTable, {1, 2, 3, 4})
                            .tag(TagType::AcpiNewRsdp, rsdp_bytes(2, 30, 0))
                            .tag(TagType::AcpiOldRsdp, rsdp_bytes(0, 19, 0))
                            .tag(TagType::ImageLoadBase, {1, 2})
                            .tag(TagType::BasicMeminfo, {1, 2, 3, 4})
                            .tag(TagType::Framebuffer, std::vector<uint8_t>(20, 0))
                            .tag(TagType::EfiMemoryMap, {48, 0, 0, 0})
                            .finish());
    ASSERT_TRUE(parsed.result.ok());
    const BootInfo& info = *parsed.info;
    EXPECT_FALSE(info.efi.has_system_table64);
    EXPECT_EQ(info.acpi_rsdp.source, k::RsdpSource::None);
    EXPECT_EQ(info.acpi_rsdp.length, 0);
    EXPECT_FALSE(info.has_load_base);
    EXPECT_FALSE(info.has_basic_meminfo);
    EXPECT_FALSE(info.framebuffer.present);
    EXPECT_FALSE(info.efi.has_memory_map);
    EXPECT_EQ(info.warning_count, 7u) << warnings_text(info);
    for (uint32_t i = 0; i < info.warning_count; i++) EXPECT_NE(std::strstr(info.warnings[i].message, "too short"), nullptr);
}

TEST(Multiboot2Malformed, EfiDescriptorSizeBelowFortyIsIgnored) {
    auto parsed = parse(with_memory_map().efi_memory_map({{7, 0x1000, 1}, {7, 0x2000, 1}}, 32).finish());
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_FALSE(parsed.info->efi.has_memory_map);
    EXPECT_EQ(parsed.info->efi.descriptor_count, 0u);
    const k::BootWarning* w = find_warning(*parsed.info, "descriptor_size below 40");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->value, 32u);
}

TEST(Multiboot2Malformed, EfiMemoryMapTooLongKeepsTheFirst256) {
    std::vector<InfoBuilder::EfiDescriptor> descriptors;
    for (uint64_t i = 0; i < 300; i++) descriptors.push_back({uint32_t(i % 15), i * 0x10000, 16});
    auto parsed = parse(with_memory_map().efi_memory_map(descriptors, 40).finish());
    ASSERT_TRUE(parsed.result.ok());
    const k::EfiInfo& efi = parsed.info->efi;
    EXPECT_TRUE(efi.has_memory_map);
    EXPECT_EQ(efi.descriptor_size, 40u);
    EXPECT_EQ(efi.descriptors_in_map, 300u);
    ASSERT_EQ(efi.descriptor_count, 256u);
    EXPECT_EQ(efi.descriptors[255].type, 255u % 15);
    EXPECT_EQ(efi.descriptors[255].phys_start, 255u * 0x10000);
    const k::BootWarning* w = find_warning(*parsed.info, "EFI memory map too long");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->value, 44u);
}

TEST(Multiboot2Malformed, DuplicateTagIsIgnoredButModulesRepeat) {
    auto parsed = parse(with_memory_map()
                            .string_tag(TagType::Cmdline, "first")
                            .string_tag(TagType::Cmdline, "second")
                            .memory_map({{0x100000, 0x1000, 1}})
                            .module(0x1000, 0x2000, "a")
                            .module(0x3000, 0x4000, "b")
                            .finish());
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_STREQ(parsed.info->cmdline, "first");
    EXPECT_EQ(parsed.info->memory_region_count, 1u);
    EXPECT_EQ(parsed.info->module_count, 2u);
    ASSERT_EQ(parsed.info->warning_count, 2u) << warnings_text(*parsed.info);
    EXPECT_EQ(parsed.info->warnings[0].value, uint64_t(TagType::Cmdline));
    EXPECT_EQ(parsed.info->warnings[1].value, uint64_t(TagType::MemoryMap));
}

TEST(Multiboot2Malformed, WarningsBeyondSixteenAreCounted) {
    InfoBuilder builder = with_memory_map();
    for (int i = 0; i < 20; i++) builder.tag(TagType::Module, {});  // each too short
    auto parsed = parse(builder.finish());
    ASSERT_TRUE(parsed.result.ok());
    EXPECT_EQ(parsed.info->warning_count, BootInfo::kMaxWarnings);
    EXPECT_EQ(parsed.info->warnings_dropped, 4u);
}

// --- Robustness: nothing a loader could hand over makes the parser read out of bounds

TEST(Multiboot2Robustness, EveryTruncationOfAFullStructure) {
    std::vector<uint8_t> full = with_memory_map()
                                    .string_tag(TagType::Cmdline, "console=ttyS0")
                                    .module(0x200000, 0x300000, "initrd")
                                    .framebuffer(0xFD000000, 4096, 1024, 768, 32, 1, {16, 8, 8, 8, 0, 8})
                                    .tag(TagType::AcpiNewRsdp, rsdp_bytes(2, 36, 1))
                                    .efi_memory_map({{7, 0, 1}, {7, 0x1000, 1}})
                                    .finish();
    for (size_t length = 0; length <= full.size(); length++) {
        SCOPED_TRACE(length);
        std::vector<uint8_t> prefix(full.begin(), full.begin() + length);
        // As-is: total_size now exceeds the buffer (unless complete).
        auto as_is = parse(prefix);
        EXPECT_EQ(as_is.result.ok(), length == full.size());
        // With total_size rewritten to match: parses what is there.
        if (length >= 4) {
            uint32_t size = uint32_t(length);
            std::memcpy(prefix.data(), &size, 4);
            auto rewritten = parse(prefix);
            EXPECT_EQ(rewritten.result.ok(), length >= 16);
        }
    }
}

TEST(Multiboot2Robustness, RandomTagsNeverReadOutOfBounds) {
    std::mt19937 rng(12345);
    const uint32_t interesting_types[] = {0, 1, 2, 3, 4, 6, 8, 12, 14, 15, 17, 18, 21, 99};
    for (int iteration = 0; iteration < 3000; iteration++) {
        std::vector<uint8_t> bytes(8, 0);
        int tag_count = int(rng() % 8);
        for (int t = 0; t < tag_count; t++) {
            uint32_t type = interesting_types[rng() % std::size(interesting_types)];
            uint32_t payload = rng() % 80;
            append<uint32_t>(bytes, type);
            uint32_t size = rng() % 10 == 0 ? uint32_t(rng()) : 8 + payload;  // sometimes a wild size
            append<uint32_t>(bytes, size);
            for (uint32_t i = 0; i < payload; i++) {
                // Small numbers make plausible entry sizes and framebuffer types.
                bytes.push_back(uint8_t(rng() % 3 == 0 ? rng() : rng() % 50));
            }
            while (bytes.size() % 8 != 0) bytes.push_back(uint8_t(rng()));
        }
        if (rng() % 2) {
            append<uint32_t>(bytes, 0);
            append<uint32_t>(bytes, 8);
        }
        uint32_t size = uint32_t(bytes.size());
        if (rng() % 4 == 0) size -= std::min<uint32_t>(size, rng() % 16);
        std::memcpy(bytes.data(), &size, 4);
        auto parsed = parse(bytes);
        if (parsed.result.ok()) {
            const BootInfo& info = *parsed.info;
            EXPECT_LE(info.memory_region_count, BootInfo::kMaxMemoryRegions);
            EXPECT_LE(info.module_count, BootInfo::kMaxModules);
            EXPECT_LE(info.warning_count, BootInfo::kMaxWarnings);
            EXPECT_LT(std::strlen(info.cmdline), BootInfo::kCmdlineCapacity);
        }
    }
}

// --- BootInfo's helpers ---------------------------------------------------------

TEST(Multiboot2BootInfo, UsableTotalsIgnoreOtherTypes) {
    auto info = std::make_unique<BootInfo>();
    info->clear();
    EXPECT_EQ(info->total_usable_bytes(), 0u);
    EXPECT_EQ(info->highest_usable_address(), 0u);
    info->add_memory_region(0x100000, 0x100000, k::MemoryType::Usable);
    info->add_memory_region(0x200000, 0x100000, k::MemoryType::AcpiReclaimable);
    info->add_memory_region(0xFFFF0000, 0x10000, k::MemoryType::Reserved);
    info->add_memory_region(0x1000, 0x1000, k::MemoryType::Usable);
    info->add_memory_region(0x300000, 0, k::MemoryType::Usable);
    EXPECT_EQ(info->total_usable_bytes(), 0x101000u);
    EXPECT_EQ(info->highest_usable_address(), 0x200000u);
}

TEST(Multiboot2BootInfo, UsableTotalSaturatesInsteadOfWrapping) {
    auto info = std::make_unique<BootInfo>();
    info->clear();
    info->add_memory_region(0, UINT64_MAX - 10, k::MemoryType::Usable);
    info->add_memory_region(0, 100, k::MemoryType::Usable);
    EXPECT_EQ(info->total_usable_bytes(), UINT64_MAX);
}

TEST(Multiboot2BootInfo, MemoryTypeFromE820) {
    EXPECT_EQ(k::memory_type_from_e820(1), k::MemoryType::Usable);
    EXPECT_EQ(k::memory_type_from_e820(2), k::MemoryType::Reserved);
    EXPECT_EQ(k::memory_type_from_e820(3), k::MemoryType::AcpiReclaimable);
    EXPECT_EQ(k::memory_type_from_e820(4), k::MemoryType::AcpiNvs);
    EXPECT_EQ(k::memory_type_from_e820(5), k::MemoryType::BadMemory);
    EXPECT_EQ(k::memory_type_from_e820(0), k::MemoryType::Reserved);
    EXPECT_EQ(k::memory_type_from_e820(7), k::MemoryType::Reserved);
    EXPECT_EQ(k::memory_type_from_e820(0xFFFFFFFF), k::MemoryType::Reserved);
}

TEST(Multiboot2BootInfo, CopyBoundedString) {
    char buffer[4];
    EXPECT_TRUE(k::copy_bounded_string(buffer, sizeof buffer, "abc", 3));
    EXPECT_STREQ(buffer, "abc");
    EXPECT_FALSE(k::copy_bounded_string(buffer, sizeof buffer, "abcd", 4));
    EXPECT_STREQ(buffer, "abc");
    EXPECT_TRUE(k::copy_bounded_string(buffer, sizeof buffer, "", 0));
    EXPECT_STREQ(buffer, "");
}

}  // namespace
