// Host tests for libk/pvh: an hvm_start_info and everything it points at,
// laid out in a fake physical memory that hands the parser a fresh,
// exactly-sized heap copy of each range it asks for. AddressSanitizer then
// catches both a read past what was asked for and a pointer kept past the
// next read() (the previous copy has been freed).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "libk/boot_info.h"
#include "libk/pvh.h"

namespace {

using k::BootInfo;

class FakePhysMemory final : public k::PhysReader {
public:
    FakePhysMemory(uint64_t base, size_t size) : base_(base), bytes_(size, 0) {}

    const void* read(uint64_t phys, size_t len) override {
        reads_++;
        last_copy_.reset();
        if (phys < base_ || phys - base_ > bytes_.size() || len > bytes_.size() - (phys - base_)) return nullptr;
        last_copy_ = std::make_unique<uint8_t[]>(len);
        if (len != 0) std::memcpy(last_copy_.get(), bytes_.data() + (phys - base_), len);
        return last_copy_.get();
    }

    template <typename T> void put(uint64_t phys, const T& value) { put_bytes(phys, &value, sizeof(T)); }
    void put_string(uint64_t phys, const std::string& s) { put_bytes(phys, s.c_str(), s.size() + 1); }
    void put_bytes(uint64_t phys, const void* data, size_t len) {
        ASSERT_GE(phys, base_);
        ASSERT_LE(phys - base_ + len, bytes_.size());
        std::memcpy(bytes_.data() + (phys - base_), data, len);
    }

    uint64_t base() const { return base_; }
    uint64_t end() const { return base_ + bytes_.size(); }
    uint64_t reads() const { return reads_; }

private:
    uint64_t base_;
    std::vector<uint8_t> bytes_;
    std::unique_ptr<uint8_t[]> last_copy_;
    uint64_t reads_ = 0;
};

constexpr uint64_t kBase = 0x10000;
constexpr uint64_t kStartInfo = 0x10000;
constexpr uint64_t kCmdline = 0x11000;
constexpr uint64_t kModlist = 0x12000;
constexpr uint64_t kMemmap = 0x13000;
constexpr uint64_t kRsdp = 0x14000;
constexpr uint64_t kStrings = 0x15000;

k::pvh::StartInfo version1_start_info() {
    k::pvh::StartInfo info{};
    info.magic = k::pvh::kStartInfoMagic;
    info.version = 1;
    return info;
}

std::unique_ptr<BootInfo> garbage_boot_info() {
    auto info = std::make_unique<BootInfo>();
    std::memset(static_cast<void*>(info.get()), 0xA5, sizeof(BootInfo));
    return info;
}

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

void put_memmap(FakePhysMemory& memory, uint64_t at, const std::vector<k::pvh::MemmapEntry>& entries) {
    for (size_t i = 0; i < entries.size(); i++) memory.put(at + i * sizeof(k::pvh::MemmapEntry), entries[i]);
}

// Just enough for parse_pvh to report nothing: a one-entry memory map.
k::pvh::StartInfo minimal_start_info(FakePhysMemory& memory) {
    k::pvh::StartInfo info = version1_start_info();
    put_memmap(memory, kMemmap, {{0, 0x9FC00, 1, 0}});
    info.memmap_paddr = kMemmap;
    info.memmap_entries = 1;
    return info;
}

TEST(PvhParse, EverythingQemuPasses) {
    FakePhysMemory memory(kBase, 0x10000);
    k::pvh::StartInfo start = version1_start_info();
    start.cmdline_paddr = kCmdline;
    memory.put_string(kCmdline, "init=/bin/bench console=ttyS0");
    start.nr_modules = 2;
    start.modlist_paddr = kModlist;
    memory.put(kModlist, k::pvh::ModlistEntry{0x800000, 0x12345, kStrings, 0});
    memory.put(kModlist + 32, k::pvh::ModlistEntry{0x900000, 0x1000, 0, 0});
    memory.put_string(kStrings, "initrd.cpio");
    start.rsdp_paddr = kRsdp;
    uint8_t rsdp[36];
    for (int i = 0; i < 36; i++) rsdp[i] = uint8_t(0x40 + i);
    std::memcpy(rsdp, "RSD PTR ", 8);
    rsdp[15] = 2;
    memory.put_bytes(kRsdp, rsdp, sizeof rsdp);
    put_memmap(memory, kMemmap,
               {{0x0, 0x9FC00, 1, 0},
                {0x9FC00, 0x400, 2, 0},
                {0x100000, 0x7EE0000, 1, 0},
                {0x7FE0000, 0x20000, 3, 0},
                {0x8000000, 0x1000, 4, 0},
                {0x8001000, 0x1000, 5, 0},
                {0x8002000, 0x1000, 6, 0},  // XEN_HVM_MEMMAP_TYPE_DISABLED
                {0x100000000, 0x80000000, 7, 0}});  // PMEM: not ordinary RAM
    start.memmap_paddr = kMemmap;
    start.memmap_entries = 8;
    memory.put(kStartInfo, start);

    auto info = garbage_boot_info();
    auto result = k::parse_pvh(kStartInfo, memory, *info);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(info->warning_count, 0u) << warnings_text(*info);
    EXPECT_EQ(info->warnings_dropped, 0u);
    EXPECT_EQ(info->protocol, k::BootProtocol::Pvh);
    EXPECT_STREQ(info->cmdline, "init=/bin/bench console=ttyS0");
    EXPECT_STREQ(info->bootloader_name, "");

    ASSERT_EQ(info->module_count, 2u);
    EXPECT_EQ(info->modules[0].phys_start, 0x800000u);
    EXPECT_EQ(info->modules[0].phys_end, 0x812345u);
    EXPECT_STREQ(info->modules[0].cmdline, "initrd.cpio");
    EXPECT_EQ(info->modules[1].phys_start, 0x900000u);
    EXPECT_EQ(info->modules[1].phys_end, 0x901000u);
    EXPECT_STREQ(info->modules[1].cmdline, "");

    const k::AcpiRsdpInfo& acpi = info->acpi_rsdp;
    EXPECT_EQ(acpi.source, k::RsdpSource::Pvh);
    EXPECT_TRUE(acpi.has_phys_address);
    EXPECT_EQ(acpi.phys_address, kRsdp);
    EXPECT_EQ(acpi.revision, 2);
    ASSERT_EQ(acpi.length, 36);
    EXPECT_EQ(std::memcmp(acpi.bytes, rsdp, 36), 0);

    using k::MemoryType;
    const k::MemoryRegion expected[] = {
        {0x0, 0x9FC00, MemoryType::Usable},
        {0x9FC00, 0x400, MemoryType::Reserved},
        {0x100000, 0x7EE0000, MemoryType::Usable},
        {0x7FE0000, 0x20000, MemoryType::AcpiReclaimable},
        {0x8000000, 0x1000, MemoryType::AcpiNvs},
        {0x8001000, 0x1000, MemoryType::BadMemory},
        {0x8002000, 0x1000, MemoryType::Reserved},
        {0x100000000, 0x80000000, MemoryType::Reserved},
    };
    ASSERT_EQ(info->memory_region_count, 8u);
    for (size_t i = 0; i < 8; i++) {
        SCOPED_TRACE(i);
        EXPECT_EQ(info->memory_regions[i].base, expected[i].base);
        EXPECT_EQ(info->memory_regions[i].length, expected[i].length);
        EXPECT_EQ(info->memory_regions[i].type, expected[i].type);
    }
    EXPECT_EQ(info->total_usable_bytes(), 0x9FC00u + 0x7EE0000u);
    EXPECT_EQ(info->highest_usable_address(), 0x7FE0000u);

    // What PVH cannot tell us stays empty.
    EXPECT_FALSE(info->framebuffer.present);
    EXPECT_FALSE(info->efi.has_memory_map);
    EXPECT_FALSE(info->efi.has_system_table64);
    EXPECT_FALSE(info->has_load_base);
    EXPECT_FALSE(info->has_basic_meminfo);
}

TEST(PvhParse, NothingButTheMemoryMap) {
    FakePhysMemory memory(kBase, 0x10000);
    memory.put(kStartInfo, minimal_start_info(memory));
    auto info = garbage_boot_info();
    ASSERT_TRUE(k::parse_pvh(kStartInfo, memory, *info).ok());
    EXPECT_EQ(info->warning_count, 0u) << warnings_text(*info);
    EXPECT_STREQ(info->cmdline, "");
    EXPECT_EQ(info->module_count, 0u);
    EXPECT_EQ(info->acpi_rsdp.source, k::RsdpSource::None);
    EXPECT_EQ(info->memory_region_count, 1u);
}

TEST(PvhParse, AcpiOneRsdpIsCopiedAsTwentyBytes) {
    FakePhysMemory memory(kBase, 0x10000);
    k::pvh::StartInfo start = minimal_start_info(memory);
    start.rsdp_paddr = memory.end() - 20;  // a 36-byte read here would fail
    uint8_t rsdp[20] = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};
    rsdp[19] = 0x99;
    memory.put_bytes(start.rsdp_paddr, rsdp, sizeof rsdp);
    memory.put(kStartInfo, start);
    auto info = garbage_boot_info();
    ASSERT_TRUE(k::parse_pvh(kStartInfo, memory, *info).ok());
    EXPECT_EQ(info->warning_count, 0u) << warnings_text(*info);
    EXPECT_EQ(info->acpi_rsdp.revision, 0);
    ASSERT_EQ(info->acpi_rsdp.length, 20);
    EXPECT_EQ(info->acpi_rsdp.bytes[19], 0x99);
}

TEST(PvhParse, CommandLineOf1023BytesFitsExactly) {
    FakePhysMemory memory(kBase, 0x10000);
    k::pvh::StartInfo start = minimal_start_info(memory);
    std::string line(1023, 'c');
    start.cmdline_paddr = kCmdline;
    memory.put_string(kCmdline, line);
    memory.put(kStartInfo, start);
    auto info = garbage_boot_info();
    ASSERT_TRUE(k::parse_pvh(kStartInfo, memory, *info).ok());
    EXPECT_EQ(std::string(info->cmdline), line);
    EXPECT_EQ(info->warning_count, 0u) << warnings_text(*info);
}

// --- Errors ---------------------------------------------------------------------

TEST(PvhErrors, UnreadableStartInfoIsEfault) {
    FakePhysMemory memory(kBase, 0x1000);
    auto info = garbage_boot_info();
    auto result = k::parse_pvh(0x500000, memory, *info);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error(), k::Errno::efault);
    EXPECT_EQ(info->protocol, k::BootProtocol::Pvh);
    EXPECT_NE(find_warning(*info, "start info unreadable"), nullptr);
}

TEST(PvhErrors, StartInfoAtTheTopOfTheAddressSpaceIsEfault) {
    FakePhysMemory memory(kBase, 0x1000);
    auto info = garbage_boot_info();
    auto result = k::parse_pvh(UINT64_MAX - 8, memory, *info);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error(), k::Errno::efault);
    EXPECT_EQ(memory.reads(), 0u);  // a wrapping range is not even asked for
}

TEST(PvhErrors, BadMagicIsEinval) {
    FakePhysMemory memory(kBase, 0x10000);
    k::pvh::StartInfo start = minimal_start_info(memory);
    start.magic = 0x336ec579;
    memory.put(kStartInfo, start);
    auto info = garbage_boot_info();
    auto result = k::parse_pvh(kStartInfo, memory, *info);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error(), k::Errno::einval);
    const k::BootWarning* w = find_warning(*info, "magic");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->value, 0x336ec579u);
    EXPECT_EQ(info->memory_region_count, 0u);
}

// --- Survivable problems ------------------------------------------------------

TEST(PvhMalformed, VersionZeroAtTheEdgeOfMemoryHasNoMemoryMap) {
    FakePhysMemory memory(kBase, 0x10000);
    k::pvh::StartInfo start = version1_start_info();
    start.version = 0;
    start.cmdline_paddr = kCmdline;
    memory.put_string(kCmdline, "v0");
    // Only the 40 version-0 bytes exist: reading 56 would fail.
    uint64_t at = memory.end() - k::pvh::kStartInfoV0Size;
    memory.put_bytes(at, &start, k::pvh::kStartInfoV0Size);
    auto info = garbage_boot_info();
    ASSERT_TRUE(k::parse_pvh(at, memory, *info).ok());
    EXPECT_STREQ(info->cmdline, "v0");
    EXPECT_EQ(info->memory_region_count, 0u);
    ASSERT_EQ(info->warning_count, 1u) << warnings_text(*info);
    EXPECT_NE(find_warning(*info, "version 0"), nullptr);
}

TEST(PvhMalformed, Version1FieldsUnreadable) {
    FakePhysMemory memory(kBase, 0x10000);
    k::pvh::StartInfo start = version1_start_info();
    uint64_t at = memory.end() - k::pvh::kStartInfoV0Size;
    memory.put_bytes(at, &start, k::pvh::kStartInfoV0Size);
    auto info = garbage_boot_info();
    ASSERT_TRUE(k::parse_pvh(at, memory, *info).ok());
    EXPECT_EQ(info->memory_region_count, 0u);
    EXPECT_NE(find_warning(*info, "version 1 fields unreadable"), nullptr) << warnings_text(*info);
}

TEST(PvhMalformed, LaterVersionIsReadAsVersion1) {
    FakePhysMemory memory(kBase, 0x10000);
    k::pvh::StartInfo start = minimal_start_info(memory);
    start.version = 2;
    memory.put(kStartInfo, start);
    auto info = garbage_boot_info();
    ASSERT_TRUE(k::parse_pvh(kStartInfo, memory, *info).ok());
    EXPECT_EQ(info->memory_region_count, 1u);
    EXPECT_EQ(info->warning_count, 0u) << warnings_text(*info);
}

TEST(PvhMalformed, EmptyMemoryMapIsReported) {
    FakePhysMemory memory(kBase, 0x10000);
    k::pvh::StartInfo start = version1_start_info();
    start.memmap_paddr = kMemmap;
    start.memmap_entries = 0;
    memory.put(kStartInfo, start);
    auto info = garbage_boot_info();
    ASSERT_TRUE(k::parse_pvh(kStartInfo, memory, *info).ok());
    EXPECT_NE(find_warning(*info, "no memory map"), nullptr);
}

TEST(PvhMalformed, LongCommandLineIsTruncatedTo1023Bytes) {
    FakePhysMemory memory(kBase, 0x10000);
    k::pvh::StartInfo start = minimal_start_info(memory);
    std::string line(3000, 'x');
    start.cmdline_paddr = kCmdline;
    memory.put_string(kCmdline, line);
    memory.put(kStartInfo, start);
    auto info = garbage_boot_info();
    uint64_t reads_before = memory.reads();
    ASSERT_TRUE(k::parse_pvh(kStartInfo, memory, *info).ok());
    EXPECT_EQ(std::string(info->cmdline), line.substr(0, 1023));
    const k::BootWarning* w = find_warning(*info, "command line truncated");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->value, kCmdline);
    EXPECT_LT(memory.reads() - reads_before, 1100u);  // bounded, not 3000
}

TEST(PvhMalformed, UnterminatedCommandLineAtTheEndOfMemory) {
    FakePhysMemory memory(kBase, 0x10000);
    k::pvh::StartInfo start = minimal_start_info(memory);
    start.cmdline_paddr = memory.end() - 6;
    memory.put_bytes(start.cmdline_paddr, "abcdef", 6);  // no NUL: memory ends
    memory.put(kStartInfo, start);
    auto info = garbage_boot_info();
    ASSERT_TRUE(k::parse_pvh(kStartInfo, memory, *info).ok());
    EXPECT_STREQ(info->cmdline, "abcdef");
    const k::BootWarning* w = find_warning(*info, "command line unreadable");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->value, start.cmdline_paddr);
}

TEST(PvhMalformed, CommandLineAtTheTopOfTheAddressSpace) {
    FakePhysMemory memory(kBase, 0x10000);
    k::pvh::StartInfo start = minimal_start_info(memory);
    start.cmdline_paddr = UINT64_MAX;
    memory.put(kStartInfo, start);
    auto info = garbage_boot_info();
    ASSERT_TRUE(k::parse_pvh(kStartInfo, memory, *info).ok());
    EXPECT_STREQ(info->cmdline, "");
    EXPECT_NE(find_warning(*info, "command line unreadable"), nullptr);
}

TEST(PvhMalformed, AbsurdModuleCountIsBounded) {
    FakePhysMemory memory(kBase, 0x10000);
    k::pvh::StartInfo start = minimal_start_info(memory);
    start.nr_modules = 0xFFFFFFFF;
    // Three good entries, then the list runs off the end of memory.
    start.modlist_paddr = memory.end() - 3 * sizeof(k::pvh::ModlistEntry);
    for (uint64_t i = 0; i < 3; i++) {
        memory.put(start.modlist_paddr + i * 32, k::pvh::ModlistEntry{0x100000 * (i + 1), 0x1000, 0, 0});
    }
    memory.put(kStartInfo, start);
    auto info = garbage_boot_info();
    ASSERT_TRUE(k::parse_pvh(kStartInfo, memory, *info).ok());
    ASSERT_EQ(info->module_count, 3u);
    EXPECT_EQ(info->modules[2].phys_start, 0x300000u);
    EXPECT_EQ(info->modules[2].phys_end, 0x301000u);
    const k::BootWarning* dropped = find_warning(*info, "too many modules");
    ASSERT_NE(dropped, nullptr);
    EXPECT_EQ(dropped->value, 0xFFFFFFFFu - 16);
    const k::BootWarning* unreadable = find_warning(*info, "module list unreadable");
    ASSERT_NE(unreadable, nullptr);
    EXPECT_EQ(unreadable->value, 3u);
    EXPECT_LT(memory.reads(), 20u);
}

TEST(PvhMalformed, SeventeenModulesKeepSixteenWithCommandLines) {
    FakePhysMemory memory(kBase, 0x10000);
    k::pvh::StartInfo start = minimal_start_info(memory);
    start.nr_modules = 17;
    start.modlist_paddr = kModlist;
    for (uint64_t i = 0; i < 17; i++) {
        uint64_t cmdline = kStrings + i * 0x100;
        memory.put_string(cmdline, "module" + std::to_string(i));
        memory.put(kModlist + i * 32, k::pvh::ModlistEntry{0x100000 * (i + 1), 0x10, cmdline, 0});
    }
    memory.put(kStartInfo, start);
    auto info = garbage_boot_info();
    ASSERT_TRUE(k::parse_pvh(kStartInfo, memory, *info).ok());
    ASSERT_EQ(info->module_count, 16u);
    EXPECT_STREQ(info->modules[0].cmdline, "module0");
    EXPECT_STREQ(info->modules[15].cmdline, "module15");
    EXPECT_EQ(info->modules[15].phys_start, 0x1000000u);
    const k::BootWarning* w = find_warning(*info, "too many modules");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->value, 1u);
}

TEST(PvhMalformed, ModuleProblems) {
    FakePhysMemory memory(kBase, 0x10000);
    k::pvh::StartInfo start = minimal_start_info(memory);
    start.nr_modules = 3;
    start.modlist_paddr = kModlist;
    memory.put(kModlist, k::pvh::ModlistEntry{0xFFFFFFFFFFFFF000ull, 0x2000, 0, 0});  // wraps
    memory.put(kModlist + 32, k::pvh::ModlistEntry{0x400000, 0x1000, kStrings, 0});
    memory.put_string(kStrings, std::string(300, 'L'));
    memory.put(kModlist + 64, k::pvh::ModlistEntry{0x500000, 0x1000, 0x900000, 0});  // cmdline unreadable
    memory.put(kStartInfo, start);
    auto info = garbage_boot_info();
    ASSERT_TRUE(k::parse_pvh(kStartInfo, memory, *info).ok());
    ASSERT_EQ(info->module_count, 2u);
    EXPECT_EQ(info->modules[0].phys_start, 0x400000u);
    EXPECT_EQ(std::string(info->modules[0].cmdline), std::string(127, 'L'));
    EXPECT_EQ(info->modules[1].phys_start, 0x500000u);
    EXPECT_STREQ(info->modules[1].cmdline, "");
    EXPECT_NE(find_warning(*info, "module wraps"), nullptr);
    EXPECT_NE(find_warning(*info, "module command line truncated"), nullptr);
    EXPECT_NE(find_warning(*info, "module command line unreadable"), nullptr);
    EXPECT_EQ(info->warning_count, 3u) << warnings_text(*info);
}

TEST(PvhMalformed, ModulesWithoutAList) {
    FakePhysMemory memory(kBase, 0x10000);
    k::pvh::StartInfo start = minimal_start_info(memory);
    start.nr_modules = 2;
    start.modlist_paddr = 0;
    memory.put(kStartInfo, start);
    auto info = garbage_boot_info();
    ASSERT_TRUE(k::parse_pvh(kStartInfo, memory, *info).ok());
    EXPECT_EQ(info->module_count, 0u);
    EXPECT_NE(find_warning(*info, "modlist_paddr is 0"), nullptr);
}

TEST(PvhMalformed, ModuleListNearTheTopOfTheAddressSpace) {
    FakePhysMemory memory(kBase, 0x10000);
    k::pvh::StartInfo start = minimal_start_info(memory);
    start.nr_modules = 4;
    start.modlist_paddr = UINT64_MAX - 40;  // entry 1 would start past 2^64
    memory.put(kStartInfo, start);
    auto info = garbage_boot_info();
    ASSERT_TRUE(k::parse_pvh(kStartInfo, memory, *info).ok());
    EXPECT_EQ(info->module_count, 0u);
    const k::BootWarning* w = find_warning(*info, "module list unreadable");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->value, 0u);
}

TEST(PvhMalformed, AbsurdMemoryMapCountKeepsTheFirst256) {
    FakePhysMemory memory(kBase, 0x10000);
    k::pvh::StartInfo start = version1_start_info();
    std::vector<k::pvh::MemmapEntry> entries;
    for (uint64_t i = 0; i < 300; i++) entries.push_back({i * 0x100000, 0x100000, 1, 0});
    start.memmap_paddr = kMemmap;
    put_memmap(memory, kMemmap, entries);
    start.memmap_entries = 100000;
    memory.put(kStartInfo, start);
    auto info = garbage_boot_info();
    ASSERT_TRUE(k::parse_pvh(kStartInfo, memory, *info).ok());
    ASSERT_EQ(info->memory_region_count, 256u);
    EXPECT_EQ(info->memory_regions[255].base, 255u * 0x100000);
    EXPECT_EQ(info->total_usable_bytes(), 256u * 0x100000);
    const k::BootWarning* w = find_warning(*info, "memory map too long");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->value, 100000u - 256);
    EXPECT_EQ(info->warning_count, 1u) << warnings_text(*info);
}

TEST(PvhMalformed, MemoryMapRunningOffReadableMemory) {
    FakePhysMemory memory(kBase, 0x10000);
    k::pvh::StartInfo start = version1_start_info();
    start.memmap_paddr = memory.end() - 2 * sizeof(k::pvh::MemmapEntry);
    put_memmap(memory, start.memmap_paddr, {{0, 0x1000, 1, 0}, {0x1000, 0x1000, 2, 0}});
    start.memmap_entries = 5;
    memory.put(kStartInfo, start);
    auto info = garbage_boot_info();
    ASSERT_TRUE(k::parse_pvh(kStartInfo, memory, *info).ok());
    EXPECT_EQ(info->memory_region_count, 2u);
    const k::BootWarning* w = find_warning(*info, "memory map unreadable");
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->value, 2u);
}

TEST(PvhMalformed, MemoryRegionWrappingIsClamped) {
    FakePhysMemory memory(kBase, 0x10000);
    k::pvh::StartInfo start = version1_start_info();
    start.memmap_paddr = kMemmap;
    put_memmap(memory, kMemmap, {{0xFFFFFFFFFFFFF000ull, 0x10000, 1, 0}});
    start.memmap_entries = 1;
    memory.put(kStartInfo, start);
    auto info = garbage_boot_info();
    ASSERT_TRUE(k::parse_pvh(kStartInfo, memory, *info).ok());
    ASSERT_EQ(info->memory_region_count, 1u);
    EXPECT_EQ(info->memory_regions[0].length, 0xFFFu);
    EXPECT_NE(find_warning(*info, "wraps"), nullptr);
}

TEST(PvhMalformed, RsdpProblemsKeepTheAddress) {
    {
        FakePhysMemory memory(kBase, 0x10000);
        k::pvh::StartInfo start = minimal_start_info(memory);
        start.rsdp_paddr = 0xE0000;  // outside the fake memory
        memory.put(kStartInfo, start);
        auto info = garbage_boot_info();
        ASSERT_TRUE(k::parse_pvh(kStartInfo, memory, *info).ok());
        EXPECT_TRUE(info->acpi_rsdp.has_phys_address);
        EXPECT_EQ(info->acpi_rsdp.phys_address, 0xE0000u);
        EXPECT_EQ(info->acpi_rsdp.length, 0);
        EXPECT_NE(find_warning(*info, "RSDP unreadable"), nullptr);
    }
    {
        FakePhysMemory memory(kBase, 0x10000);
        k::pvh::StartInfo start = minimal_start_info(memory);
        start.rsdp_paddr = kRsdp;
        memory.put_bytes(kRsdp, "RSD PTX ", 8);
        memory.put(kStartInfo, start);
        auto info = garbage_boot_info();
        ASSERT_TRUE(k::parse_pvh(kStartInfo, memory, *info).ok());
        EXPECT_TRUE(info->acpi_rsdp.has_phys_address);
        EXPECT_EQ(info->acpi_rsdp.length, 0);
        EXPECT_NE(find_warning(*info, "no RSDP signature"), nullptr);
    }
    {
        // Claims revision 2 but only 20 bytes are readable: keep those.
        FakePhysMemory memory(kBase, 0x10000);
        k::pvh::StartInfo start = minimal_start_info(memory);
        start.rsdp_paddr = memory.end() - 20;
        uint8_t rsdp[20] = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};
        rsdp[15] = 2;
        memory.put_bytes(start.rsdp_paddr, rsdp, sizeof rsdp);
        memory.put(kStartInfo, start);
        auto info = garbage_boot_info();
        ASSERT_TRUE(k::parse_pvh(kStartInfo, memory, *info).ok());
        EXPECT_EQ(info->acpi_rsdp.length, 20);
        EXPECT_EQ(info->acpi_rsdp.revision, 2);
        EXPECT_NE(find_warning(*info, "past 20 bytes"), nullptr);
    }
}

}  // namespace
