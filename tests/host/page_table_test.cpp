// Host tests for arch::PageTableEntry and mm::PageTableMapper.
//
// The mapper runs over a simulated RAM: a vector of 4 KiB frames indexed by
// "physical address". The tests read the raw entries back with their own
// walker (written from the SDM, not from the mapper), so they check the
// hardware format, not only what the mapper says about itself.
#include "kernel/mm/page_table.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <optional>
#include <ostream>
#include <set>
#include <span>
#include <vector>

#include "arch/x86_64/page_table_entry.h"

// The C library's <errno.h> (pulled in by the standard headers) defines these
// as macros, which would turn k::Errno::enomem into k::Errno::12.
#undef ENOENT
#undef ENOMEM
#undef EEXIST
#undef EINVAL

namespace {

using arch::PageTableEntry;
using mm::PageProt;
using mm::PageSize;
using mm::PhysAddr;
using mm::Translation;

constexpr uint64_t k4K = mm::kPageBytes4K;
constexpr uint64_t k2M = mm::kPageBytes2M;
constexpr uint64_t k1G = mm::kPageBytes1G;

constexpr uint64_t kP = uint64_t{1} << 0;
constexpr uint64_t kW = uint64_t{1} << 1;
constexpr uint64_t kU = uint64_t{1} << 2;
constexpr uint64_t kPwt = uint64_t{1} << 3;
constexpr uint64_t kPcd = uint64_t{1} << 4;
constexpr uint64_t kA = uint64_t{1} << 5;
constexpr uint64_t kD = uint64_t{1} << 6;
constexpr uint64_t kPs = uint64_t{1} << 7;
constexpr uint64_t kPat4K = uint64_t{1} << 7;
constexpr uint64_t kG = uint64_t{1} << 8;
constexpr uint64_t kPatHuge = uint64_t{1} << 12;
constexpr uint64_t kNx = uint64_t{1} << 63;
constexpr uint64_t kAddr = 0x000F'FFFF'FFFF'F000;

constexpr PageProt kKernelData{.writable = true, .global = true};
constexpr PageProt kKernelText{.executable = true, .global = true};
constexpr PageProt kUserData{.writable = true, .user = true};
constexpr PageProt kUserText{.user = true, .executable = true};
constexpr PageProt kDevice{.writable = true, .uncached = true};

}  // namespace

namespace mm {
// Readable failure messages.
void PrintTo(const PageProt& p, std::ostream* os) {
    *os << "{" << (p.writable ? "W" : "-") << (p.user ? "U" : "-") << (p.executable ? "X" : "-")
        << (p.global ? "G" : "-") << (p.uncached ? "UC" : "") << "}";
}
void PrintTo(PageSize s, std::ostream* os) { *os << (s == PageSize::k4K ? "4K" : s == PageSize::k2M ? "2M" : "1G"); }
void PrintTo(const Translation& t, std::ostream* os) {
    *os << "{phys=0x" << std::hex << t.phys << std::dec << " ";
    PrintTo(t.size, os);
    *os << " ";
    PrintTo(t.prot, os);
    *os << "}";
}
void PrintTo(const PageTableMapper::Mapping& m, std::ostream* os) {
    *os << "0x" << std::hex << m.virt << std::dec << "->";
    PrintTo(m.translation, os);
}
}  // namespace mm

namespace {

// ---------------------------------------------------------------------------
// Simulated machine

constexpr PhysAddr kRamBase = 0x10'0000;  // frames start at 1 MiB, so 0 is never a table

class SimulatedRam final : public mm::PhysMemoryAccess {
public:
    explicit SimulatedRam(size_t frame_count) : frames_(frame_count), live_(frame_count, false) {}

    size_t frame_count() const { return frames_.size(); }
    PhysAddr address_of(size_t index) const { return kRamBase + index * k4K; }
    bool is_live(PhysAddr address) const { return valid(address) && live_[index_of(address)]; }
    void set_live(PhysAddr address, bool live) { live_[index_of(address)] = live; }
    uint64_t* entries(PhysAddr address) { return frames_[index_of(address)].data(); }

    // The mapper may only look at frames that are tables right now: the root
    // or frames the allocator has handed out and not taken back.
    void* table_pointer(PhysAddr table) override {
        if (!is_live(table)) {
            ADD_FAILURE() << "mapper touched frame 0x" << std::hex << table << " which is not a live table";
            std::abort();
        }
        ++accesses_;
        return entries(table);
    }
    uint64_t accesses() const { return accesses_; }

private:
    bool valid(PhysAddr address) const {
        return address >= kRamBase && address % k4K == 0 && (address - kRamBase) / k4K < frames_.size();
    }
    size_t index_of(PhysAddr address) const { return (address - kRamBase) / k4K; }

    std::vector<std::array<uint64_t, 512>> frames_;
    std::vector<bool> live_;
    uint64_t accesses_ = 0;
};

class CountingTableAllocator final : public mm::TableFrameAllocator {
public:
    explicit CountingTableAllocator(SimulatedRam& ram) : ram_(ram) {}

    // Frame 0 is the root: live, zeroed, never counted as outstanding.
    PhysAddr claim_root() {
        const PhysAddr root = ram_.address_of(0);
        ram_.set_live(root, true);
        for (uint64_t& e : std::span<uint64_t>(ram_.entries(root), 512)) e = 0;
        return root;
    }

    k::Result<PhysAddr> allocate_table() override {
        if (fail_from_ && allocations_ >= *fail_from_) {
            ++refusals_;
            return k::error(k::Errno::enomem);
        }
        for (size_t i = 1; i < ram_.frame_count(); ++i) {
            const PhysAddr frame = ram_.address_of(i);
            if (ram_.is_live(frame)) continue;
            // Hand out a dirty frame: the mapper promises to zero it, and
            // garbage that looks like present entries would show if it did not.
            for (uint64_t& e : std::span<uint64_t>(ram_.entries(frame), 512)) e = 0xA5A5'A5A5'A5A5'A5A5;
            ram_.set_live(frame, true);
            ++allocations_;
            outstanding_.insert(frame);
            return frame;
        }
        ADD_FAILURE() << "simulated RAM exhausted";
        return k::error(k::Errno::enomem);
    }

    void free_table(PhysAddr table) override {
        if (outstanding_.erase(table) != 1) {
            ADD_FAILURE() << "free_table(0x" << std::hex << table << ") of a frame that is not an allocated table";
            return;
        }
        for (uint64_t& e : std::span<uint64_t>(ram_.entries(table), 512)) e = 0xDEAD'DEAD'DEAD'DEAD;
        ram_.set_live(table, false);
        ++frees_;
    }

    // Allocation number `n` (counting from 0) and every later one fail.
    void fail_from(size_t n) { fail_from_ = n; }
    void never_fail() { fail_from_.reset(); }

    size_t outstanding() const { return outstanding_.size(); }
    bool is_outstanding(PhysAddr table) const { return outstanding_.count(table) != 0; }
    size_t allocations() const { return allocations_; }
    size_t frees() const { return frees_; }
    size_t refusals() const { return refusals_; }

private:
    SimulatedRam& ram_;
    std::set<PhysAddr> outstanding_;
    std::optional<size_t> fail_from_;
    size_t allocations_ = 0;
    size_t frees_ = 0;
    size_t refusals_ = 0;
};

struct Invalidation {
    uint64_t virt;
    PageSize size;
    bool operator==(const Invalidation&) const = default;
};
void PrintTo(const Invalidation& i, std::ostream* os) {
    *os << "{0x" << std::hex << i.virt << std::dec << " ";
    mm::PrintTo(i.size, os);
    *os << "}";
}

class RecordingTlb final : public mm::TlbInvalidator {
public:
    void invalidate(uint64_t virt, PageSize size) override {
        EXPECT_EQ(virt % mm::page_size_bytes(size), 0u) << "invalidation not aligned to its size";
        calls.push_back({virt, size});
    }
    void invalidate_all() override { ++full_flushes; }

    // Would a CPU that had cached `virt` have dropped it?
    bool covers(uint64_t virt) const {
        if (full_flushes > 0) return true;
        for (const Invalidation& call : calls)
            if (virt - call.virt < mm::page_size_bytes(call.size)) return true;
        return false;
    }
    bool contains(Invalidation wanted) const {
        for (const Invalidation& call : calls)
            if (call == wanted) return true;
        return false;
    }
    void clear() {
        calls.clear();
        full_flushes = 0;
    }

    std::vector<Invalidation> calls;
    int full_flushes = 0;
};

// One simulated machine with one address space.
struct World {
    SimulatedRam ram{256};
    CountingTableAllocator allocator{ram};
    RecordingTlb tlb;
    PhysAddr root = allocator.claim_root();
    mm::PageTableMapper mapper{root, ram, allocator, tlb};

    // The entry that maps `virt`, found the way the CPU finds it
    // (SDM Vol. 3A §4.5.4), plus the table entries on the way there.
    struct RawWalk {
        uint64_t* leaf = nullptr;  // nullptr: not mapped
        unsigned level = 0;
        std::vector<uint64_t> path;  // table entries, PML4 first
    };
    RawWalk raw_walk(uint64_t virt) {
        RawWalk walk;
        PhysAddr table = root;
        for (unsigned level = 4; level >= 1; --level) {
            uint64_t* slot = &ram.entries(table)[(virt >> (12 + 9 * (level - 1))) & 511];
            if (!(*slot & kP)) return walk;
            if (level == 1 || ((level == 2 || level == 3) && (*slot & kPs))) {
                walk.leaf = slot;
                walk.level = level;
                return walk;
            }
            walk.path.push_back(*slot);
            table = *slot & kAddr;
        }
        return walk;
    }

    std::vector<mm::PageTableMapper::Mapping> mappings() const {
        std::vector<mm::PageTableMapper::Mapping> all;
        mapper.for_each_mapping([&](const mm::PageTableMapper::Mapping& m) { all.push_back(m); });
        return all;
    }

    // Walks every table from the root, independently of the mapper, and
    // checks the invariants the mapper promises. Returns the number of
    // tables below the root.
    size_t check_structure() {
        std::set<PhysAddr> seen;
        std::function<bool(PhysAddr, unsigned)> walk = [&](PhysAddr table, unsigned level) -> bool {
            const uint64_t* entries = ram.entries(table);
            bool any_user_leaf = false;
            size_t present = 0;
            for (size_t i = 0; i < 512; ++i) {
                const uint64_t e = entries[i];
                if (!(e & kP)) {
                    EXPECT_EQ(e, 0u) << "not-present entry with bits left over, level " << level;
                    continue;
                }
                ++present;
                const bool leaf = level == 1 || ((level == 2 || level == 3) && (e & kPs));
                if (leaf) {
                    EXPECT_TRUE(level != 2 || PageTableEntry(e).huge_2m_reserved_bits_clear());
                    EXPECT_TRUE(level != 3 || PageTableEntry(e).huge_1g_reserved_bits_clear());
                    any_user_leaf |= (e & kU) != 0;
                    continue;
                }
                EXPECT_EQ(e & kPs, 0u) << "PS set in a PML4 entry";
                EXPECT_NE(e & kW, 0u) << "table entry not writable: it would hide writable leaves";
                EXPECT_EQ(e & kNx, 0u) << "table entry NX: it would hide executable leaves";
                const PhysAddr child = e & kAddr;
                if (!allocator.is_outstanding(child)) {
                    ADD_FAILURE() << "table entry points to 0x" << std::hex << child << ", not an allocated table";
                    continue;
                }
                EXPECT_TRUE(seen.insert(child).second) << "table linked twice";
                const bool child_user = walk(child, level - 1);
                EXPECT_TRUE(!child_user || (e & kU)) << "user leaf below a supervisor-only table entry";
                any_user_leaf |= child_user;
            }
            EXPECT_TRUE(table == root || present > 0) << "empty table left linked at level " << level;
            return any_user_leaf;
        };
        walk(root, 4);
        EXPECT_EQ(seen.size(), allocator.outstanding()) << "tables allocated but not reachable (leaked)";
        return seen.size();
    }

    bool root_is_empty() {
        for (size_t i = 0; i < 512; ++i)
            if (ram.entries(root)[i] != 0) return false;
        return true;
    }
};

class PageTableTest : public ::testing::Test {
protected:
    World w;
    mm::PageTableMapper& mapper = w.mapper;

    void expect_translation(uint64_t virt, PhysAddr phys, PageSize size, PageProt prot) {
        const k::Result<Translation> t = mapper.translate(virt);
        ASSERT_TRUE(t.ok()) << "0x" << std::hex << virt << " not mapped: " << k::errno_name(t.error());
        EXPECT_EQ(t.value(), (Translation{phys, size, prot})) << "at 0x" << std::hex << virt;
    }
    void expect_unmapped(uint64_t virt) {
        const k::Result<Translation> t = mapper.translate(virt);
        ASSERT_FALSE(t.ok()) << "0x" << std::hex << virt << " still mapped";
        EXPECT_EQ(t.error(), k::Errno::enoent);
    }
};

k::Errno error_of(const k::Result<void>& r) { return r.ok() ? k::Errno{} : r.error(); }

// ---------------------------------------------------------------------------
// The entry format

TEST(PageTableEntryTest, AccessorsUseTheSdmBitPositions) {
    struct Case {
        void (PageTableEntry::*set)(bool);
        bool (PageTableEntry::*get)() const;
        uint64_t bit;
    };
    const Case cases[] = {
        {&PageTableEntry::set_present, &PageTableEntry::present, kP},
        {&PageTableEntry::set_writable, &PageTableEntry::writable, kW},
        {&PageTableEntry::set_user, &PageTableEntry::user, kU},
        {&PageTableEntry::set_write_through, &PageTableEntry::write_through, kPwt},
        {&PageTableEntry::set_cache_disable, &PageTableEntry::cache_disable, kPcd},
        {&PageTableEntry::set_accessed, &PageTableEntry::accessed, kA},
        {&PageTableEntry::set_dirty, &PageTableEntry::dirty, kD},
        {&PageTableEntry::set_page_size, &PageTableEntry::page_size, kPs},
        {&PageTableEntry::set_pat_4k, &PageTableEntry::pat_4k, kPat4K},
        {&PageTableEntry::set_global, &PageTableEntry::global, kG},
        {&PageTableEntry::set_pat_huge, &PageTableEntry::pat_huge, kPatHuge},
        {&PageTableEntry::set_no_execute, &PageTableEntry::no_execute, kNx},
    };
    for (const Case& c : cases) {
        PageTableEntry e(0x0000'0001'2345'6000);
        (e.*c.set)(true);
        EXPECT_EQ(e.raw(), 0x0000'0001'2345'6000 | c.bit);
        EXPECT_TRUE((e.*c.get)());
        (e.*c.set)(false);
        EXPECT_EQ(e.raw(), 0x0000'0001'2345'6000 & ~c.bit);
        EXPECT_FALSE((e.*c.get)());
    }
}

TEST(PageTableEntryTest, AddressFieldIsBits12To51) {
    PageTableEntry e(kNx | kG | kP);
    e.set_address(0xFFFF'FFFF'FFFF'FFFF);  // everything outside bits 51..12 is dropped
    EXPECT_EQ(e.address(), 0x000F'FFFF'FFFF'F000u);
    EXPECT_EQ(e.raw(), 0x000F'FFFF'FFFF'F000u | kNx | kG | kP);
    e.set_address(0x1234'5000);
    EXPECT_EQ(e.raw(), 0x1234'5000u | kNx | kG | kP);
}

TEST(PageTableEntryTest, HugeAddressesExcludePatAndReservedBits) {
    const PageTableEntry two_meg(0x0000'0040'0060'0000 | kPatHuge | kPs | kP);
    EXPECT_EQ(two_meg.huge_2m_address(), 0x0000'0040'0060'0000u);
    EXPECT_TRUE(two_meg.pat_huge());
    EXPECT_TRUE(two_meg.huge_2m_reserved_bits_clear());
    EXPECT_FALSE(PageTableEntry(0x0000'0040'0060'2000 | kPs | kP).huge_2m_reserved_bits_clear());

    const PageTableEntry one_gig(0x0000'0040'4000'0000 | kPatHuge | kPs | kP);
    EXPECT_EQ(one_gig.huge_1g_address(), 0x0000'0040'4000'0000u);
    EXPECT_EQ(one_gig.leaf_address(3), 0x0000'0040'4000'0000u);
    EXPECT_TRUE(one_gig.huge_1g_reserved_bits_clear());
    EXPECT_FALSE(PageTableEntry(0x0000'0040'4020'0000 | kPs | kP).huge_1g_reserved_bits_clear());
}

TEST(PageTableEntryTest, IndicesAndCanonicalAddresses) {
    const uint64_t virt = arch::canonicalize((uint64_t{300} << 39) | (uint64_t{17} << 30) | (uint64_t{400} << 21) |
                                             (uint64_t{5} << 12) | 0x123);
    EXPECT_EQ(virt, 0xFFFF'9604'7200'5123u);
    EXPECT_EQ(arch::pml4_index(virt), 300u);
    EXPECT_EQ(arch::pdpt_index(virt), 17u);
    EXPECT_EQ(arch::pd_index(virt), 400u);
    EXPECT_EQ(arch::pt_index(virt), 5u);
    EXPECT_TRUE(arch::is_canonical(virt));
    EXPECT_FALSE(arch::is_canonical(0x0000'9604'7200'5123));
    EXPECT_TRUE(arch::is_canonical(0));
    EXPECT_TRUE(arch::is_canonical(0xFFFF'FFFF'FFFF'FFFF));
    EXPECT_FALSE(arch::is_canonical(0x8000'0000'0000'0000));
}

// ---------------------------------------------------------------------------
// map and translate

TEST_F(PageTableTest, Maps4KPageAndTranslatesWithOffset) {
    const uint64_t virt = 0x0000'0000'0040'5000;
    ASSERT_TRUE(mapper.map(virt, 0x1234'5000, PageSize::k4K, kUserData).ok());

    expect_translation(virt, 0x1234'5000, PageSize::k4K, kUserData);
    expect_translation(virt + 0x123, 0x1234'5123, PageSize::k4K, kUserData);
    expect_translation(virt + 0xFFF, 0x1234'5FFF, PageSize::k4K, kUserData);
    expect_unmapped(virt + 0x1000);
    expect_unmapped(virt - 1);

    const World::RawWalk raw = w.raw_walk(virt);
    ASSERT_NE(raw.leaf, nullptr);
    EXPECT_EQ(raw.level, 1u);
    EXPECT_EQ(*raw.leaf, 0x1234'5000 | kP | kW | kU | kNx);
    ASSERT_EQ(raw.path.size(), 3u);
    for (uint64_t table_entry : raw.path) EXPECT_EQ(table_entry & ~kAddr, kP | kW | kU);
    EXPECT_EQ(w.check_structure(), 3u);  // PDPT, PD, PT
}

TEST_F(PageTableTest, Maps2MPageAndTranslatesWithOffset) {
    const uint64_t virt = 0x0000'0000'4020'0000;
    ASSERT_TRUE(mapper.map(virt, 0x8'0060'0000, PageSize::k2M, kKernelText).ok());

    expect_translation(virt, 0x8'0060'0000, PageSize::k2M, kKernelText);
    expect_translation(virt + 0x12'3456, 0x8'0072'3456, PageSize::k2M, kKernelText);
    expect_translation(virt + k2M - 1, 0x8'0060'0000 + k2M - 1, PageSize::k2M, kKernelText);
    expect_unmapped(virt + k2M);
    expect_unmapped(virt - k4K);

    const World::RawWalk raw = w.raw_walk(virt);
    ASSERT_NE(raw.leaf, nullptr);
    EXPECT_EQ(raw.level, 2u);
    EXPECT_EQ(*raw.leaf, 0x8'0060'0000 | kP | kPs | kG);
    for (uint64_t table_entry : raw.path) EXPECT_EQ(table_entry & ~kAddr, kP | kW) << "kernel-only path";
    EXPECT_EQ(w.check_structure(), 2u);  // PDPT, PD
}

TEST_F(PageTableTest, Maps1GPageAtTheTopOfBothAddressSpaces) {
    // The last 1 GiB of the virtual address space onto the last 1 GiB below
    // 2^52: offsets must not overflow anywhere.
    const uint64_t virt = 0xFFFF'FFFF'C000'0000;
    const PhysAddr phys = 0x000F'FFFF'C000'0000;
    ASSERT_TRUE(mapper.map(virt, phys, PageSize::k1G, kKernelData).ok());

    expect_translation(virt, phys, PageSize::k1G, kKernelData);
    expect_translation(virt + 0x1234'5678, phys + 0x1234'5678, PageSize::k1G, kKernelData);
    expect_translation(0xFFFF'FFFF'FFFF'FFFF, 0x000F'FFFF'FFFF'FFFF, PageSize::k1G, kKernelData);
    expect_unmapped(virt - 1);

    const World::RawWalk raw = w.raw_walk(virt);
    ASSERT_NE(raw.leaf, nullptr);
    EXPECT_EQ(raw.level, 3u);
    EXPECT_EQ(*raw.leaf, phys | kP | kW | kPs | kG | kNx);
    EXPECT_EQ(w.check_structure(), 1u);  // PDPT

    const auto all = w.mappings();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].virt, virt) << "for_each_mapping must report canonical higher-half addresses";
}

TEST_F(PageTableTest, MappingIntoEmptySlotsInvalidatesNothing) {
    ASSERT_TRUE(mapper.map(0x40'0000, 0x20'0000, PageSize::k4K, kKernelData).ok());
    ASSERT_TRUE(mapper.map(0x40'1000, 0x20'1000, PageSize::k4K, kKernelData).ok());
    ASSERT_TRUE(mapper.map(0x60'0000, 0x40'0000, PageSize::k2M, kKernelData).ok());
    // A user page in another PML4 slot: no kernel-only table entry to widen.
    ASSERT_TRUE(mapper.map(0x80'0000'0000, 0x4000'0000, PageSize::k1G, kUserData).ok());
    ASSERT_TRUE(mapper.map(0x80'4000'0000, 0x8000'0000, PageSize::k1G, kUserData).ok());
    EXPECT_TRUE(w.tlb.calls.empty());
    EXPECT_EQ(w.tlb.full_flushes, 0);
}

TEST_F(PageTableTest, NewTablesAreZeroedEvenFromDirtyFrames) {
    // The allocator fills frames with 0xA5: any entry the mapper did not
    // clear would look present.
    ASSERT_TRUE(mapper.map(0x40'0000, 0x20'0000, PageSize::k4K, kKernelData).ok());
    EXPECT_EQ(w.mappings().size(), 1u);
    w.check_structure();
}

TEST_F(PageTableTest, RefusesOverlapsAtEverySize) {
    const uint64_t a = 0x4000'0000 + 0x20'0000 + 0x3000;  // a 4 KiB page
    const uint64_t b = 0x4000'0000 + 0x80'0000;           // a 2 MiB page, same 1 GiB
    const uint64_t c = 0x1'0000'0000;                     // a 1 GiB page
    ASSERT_TRUE(mapper.map(a, 0x10'0000, PageSize::k4K, kUserData).ok());
    ASSERT_TRUE(mapper.map(b, 0x20'0000, PageSize::k2M, kUserData).ok());
    ASSERT_TRUE(mapper.map(c, 0x4000'0000, PageSize::k1G, kUserData).ok());
    const size_t tables = w.check_structure();
    const auto before = w.mappings();

    // Same page again, whatever the target.
    EXPECT_EQ(error_of(mapper.map(a, 0x99'9000, PageSize::k4K, kUserData)), k::Errno::eexist);
    EXPECT_EQ(error_of(mapper.map(b, 0x20'0000, PageSize::k2M, kUserData)), k::Errno::eexist);
    EXPECT_EQ(error_of(mapper.map(c, 0x4000'0000, PageSize::k1G, kUserData)), k::Errno::eexist);
    // A huge page over a table that holds mappings.
    EXPECT_EQ(error_of(mapper.map(k::align_down(a, k2M), 0x60'0000, PageSize::k2M, kUserData)), k::Errno::eexist);
    EXPECT_EQ(error_of(mapper.map(0x4000'0000, 0x8000'0000, PageSize::k1G, kUserData)), k::Errno::eexist);
    // A smaller page under a huge one.
    EXPECT_EQ(error_of(mapper.map(b + 0x5000, 0x9000, PageSize::k4K, kUserData)), k::Errno::eexist);
    EXPECT_EQ(error_of(mapper.map(c + 0x1234'5000, 0x9000, PageSize::k4K, kUserData)), k::Errno::eexist);
    EXPECT_EQ(error_of(mapper.map(c + 0x3FE0'0000, 0x60'0000, PageSize::k2M, kUserData)), k::Errno::eexist);

    EXPECT_EQ(w.mappings(), before);
    EXPECT_EQ(w.check_structure(), tables);
    EXPECT_TRUE(w.tlb.calls.empty());
}

TEST_F(PageTableTest, HugePageReplacesAnEmptyTable) {
    // Build an empty PT under a live PD by hand (the mapper never leaves one,
    // but a huge page must still go in where one is).
    ASSERT_TRUE(mapper.map(0x4000'0000, 0x10'0000, PageSize::k4K, kKernelData).ok());
    const World::RawWalk raw = w.raw_walk(0x4000'0000);
    ASSERT_EQ(raw.path.size(), 3u);
    const PhysAddr pd = raw.path[1] & kAddr;
    const k::Result<PhysAddr> empty_pt = w.allocator.allocate_table();
    ASSERT_TRUE(empty_pt.ok());
    for (size_t i = 0; i < 512; ++i) w.ram.entries(empty_pt.value())[i] = 0;
    w.ram.entries(pd)[3] = empty_pt.value() | kP | kW;
    ASSERT_EQ(w.allocator.outstanding(), 4u);

    const uint64_t huge = 0x4000'0000 + 3 * k2M;
    ASSERT_TRUE(mapper.map(huge, 0x60'0000, PageSize::k2M, kKernelData).ok());
    expect_translation(huge + 0x1000, 0x60'1000, PageSize::k2M, kKernelData);
    EXPECT_FALSE(w.allocator.is_outstanding(empty_pt.value())) << "the empty table must be freed";
    EXPECT_EQ(w.check_structure(), 3u);
    EXPECT_TRUE(w.tlb.contains({huge, PageSize::k2M})) << "the CPU may have cached the old table link";
}

TEST_F(PageTableTest, RejectsMisalignedAndNonCanonicalAddresses) {
    const auto einval = [](const k::Result<void>& r) { return !r.ok() && r.error() == k::Errno::einval; };
    EXPECT_TRUE(einval(mapper.map(0x40'0800, 0x10'0000, PageSize::k4K, kKernelData)));
    EXPECT_TRUE(einval(mapper.map(0x40'0000, 0x10'0800, PageSize::k4K, kKernelData)));
    EXPECT_TRUE(einval(mapper.map(0x40'1000, 0x20'0000, PageSize::k2M, kKernelData)));
    EXPECT_TRUE(einval(mapper.map(0x40'0000, 0x20'1000, PageSize::k2M, kKernelData)));
    EXPECT_TRUE(einval(mapper.map(0x4020'0000, 0x4000'0000, PageSize::k1G, kKernelData)));
    EXPECT_TRUE(einval(mapper.map(0x4000'0000, 0x4020'0000, PageSize::k1G, kKernelData)));
    // The non-canonical hole and beyond.
    EXPECT_TRUE(einval(mapper.map(0x0000'8000'0000'0000, 0x10'0000, PageSize::k4K, kKernelData)));
    EXPECT_TRUE(einval(mapper.map(0x1234'0000'0000'0000, 0x10'0000, PageSize::k4K, kKernelData)));
    EXPECT_TRUE(einval(mapper.map(0xFFFF'7FFF'C000'0000, 0, PageSize::k1G, kKernelData)));
    // Physical addresses are 52 bits at most.
    EXPECT_TRUE(einval(mapper.map(0x40'0000, uint64_t{1} << 52, PageSize::k4K, kKernelData)));
    EXPECT_TRUE(einval(mapper.map(0x40'0000, 0xFFFF'FFFF'FFFF'F000, PageSize::k4K, kKernelData)));
    // Ranges: misaligned, across the hole, wrapping around.
    EXPECT_TRUE(einval(mapper.map_range(0x40'0000, 0x10'0000, 0x1800, kKernelData, PageSize::k4K)));
    EXPECT_TRUE(einval(mapper.map_range(0x0000'7FFF'FFFF'F000, 0x10'0000, 2 * k4K, kKernelData, PageSize::k4K)));
    EXPECT_TRUE(einval(mapper.map_range(0x40'0000, 0x000F'FFFF'FFFF'F000, 2 * k4K, kKernelData, PageSize::k4K)));
    EXPECT_TRUE(einval(mapper.unmap(0x40'0000, 0x800)));
    EXPECT_TRUE(einval(mapper.unmap(0x40'0800, k4K)));
    EXPECT_TRUE(einval(mapper.unmap(0xFFFF'FFFF'FFFF'F000, 2 * k4K)));
    EXPECT_TRUE(einval(mapper.protect(0x0000'8000'0000'0000, k4K, kKernelData)));
    const k::Result<Translation> t = mapper.translate(0x0000'8000'0000'0000);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error(), k::Errno::einval);

    EXPECT_EQ(w.allocator.allocations(), 0u) << "argument errors must be found before any work";
    EXPECT_TRUE(w.root_is_empty());
}

TEST_F(PageTableTest, ZeroLengthRangesDoNothing) {
    EXPECT_TRUE(mapper.map_range(0x40'0000, 0x10'0000, 0, kKernelData, PageSize::k1G).ok());
    EXPECT_TRUE(mapper.unmap(0x40'0000, 0).ok());
    EXPECT_TRUE(mapper.protect(0x40'0000, 0, kKernelData).ok());
    EXPECT_TRUE(w.root_is_empty());
}

// ---------------------------------------------------------------------------
// map_range

TEST_F(PageTableTest, MapRangeUsesTheLargestPagesAlignmentAllows) {
    // virt and phys agree modulo 1 GiB, so the sizes follow the alignment:
    // 2 x 4K up to the next 2M, 2M up to the next 1G, 1G, 2M, then 4K.
    const uint64_t virt = k1G - k2M - 2 * k4K;
    const PhysAddr phys = 5 * k1G + virt;
    const uint64_t length = 2 * k4K + k2M + k1G + k2M + k4K;
    ASSERT_TRUE(mapper.map_range(virt, phys, length, kUserText, PageSize::k1G).ok());

    using M = mm::PageTableMapper::Mapping;
    const auto at = [&](uint64_t v, PageSize size) { return M{v, Translation{phys + (v - virt), size, kUserText}}; };
    const std::vector<M> expected = {
        at(virt, PageSize::k4K),          at(virt + k4K, PageSize::k4K), at(k1G - k2M, PageSize::k2M),
        at(k1G, PageSize::k1G),           at(2 * k1G, PageSize::k2M),    at(2 * k1G + k2M, PageSize::k4K),
    };
    EXPECT_EQ(w.mappings(), expected);
    expect_translation(virt + length - 1, phys + length - 1, PageSize::k4K, kUserText);
    expect_unmapped(virt + length);
    w.check_structure();
}

TEST_F(PageTableTest, MapRangeFollowsPhysicalAlignmentToo) {
    // virt 1 GiB aligned but phys only 2 MiB aligned: no 1 GiB pages.
    ASSERT_TRUE(mapper.map_range(k1G, 7 * k1G + k2M, k1G, kKernelData, PageSize::k1G).ok());
    auto all = w.mappings();
    ASSERT_EQ(all.size(), 512u);
    for (const auto& m : all) EXPECT_EQ(m.translation.size, PageSize::k2M);
    expect_translation(k1G + 0x1234'5678, 7 * k1G + k2M + 0x1234'5678, PageSize::k2M, kKernelData);

    // phys only 4 KiB aligned: 4 KiB pages all the way.
    ASSERT_TRUE(mapper.map_range(4 * k1G, 7 * k1G + k4K, 2 * k2M, kKernelData, PageSize::k1G).ok());
    all = w.mappings();
    ASSERT_EQ(all.size(), 512u + 1024u);
    for (size_t i = 512; i < all.size(); ++i) EXPECT_EQ(all[i].translation.size, PageSize::k4K);
    w.check_structure();
}

TEST_F(PageTableTest, MapRangeRespectsTheLargestSizeAllowed) {
    ASSERT_TRUE(mapper.map_range(k1G, 3 * k1G, k1G, kKernelData, PageSize::k2M).ok());
    auto all = w.mappings();
    ASSERT_EQ(all.size(), 512u);
    for (const auto& m : all) EXPECT_EQ(m.translation.size, PageSize::k2M);

    ASSERT_TRUE(mapper.map_range(4 * k1G, 4 * k1G, 2 * k2M, kKernelData, PageSize::k4K).ok());
    all = w.mappings();
    ASSERT_EQ(all.size(), 512u + 1024u);
    for (size_t i = 512; i < all.size(); ++i) EXPECT_EQ(all[i].translation.size, PageSize::k4K);
}

TEST_F(PageTableTest, MapRangeUndoesItsWorkOnOverlap) {
    const uint64_t in_the_way = k1G + 3 * k2M + 0x5000;
    ASSERT_TRUE(mapper.map(in_the_way, 0x10'0000, PageSize::k4K, kKernelData).ok());
    const size_t tables = w.check_structure();
    const auto before = w.mappings();

    EXPECT_EQ(error_of(mapper.map_range(k1G, 2 * k1G, 8 * k2M, kUserData, PageSize::k1G)), k::Errno::eexist);
    EXPECT_EQ(w.mappings(), before);
    EXPECT_EQ(w.check_structure(), tables);
}

// ---------------------------------------------------------------------------
// unmap

TEST_F(PageTableTest, UnmappingOne4KPieceOfA1GPageKeepsTheRestIntact) {
    const uint64_t virt = 3 * k1G;
    const PhysAddr phys = 9 * k1G;
    const PageProt prot{.writable = true, .global = true};
    ASSERT_TRUE(mapper.map(virt, phys, PageSize::k1G, prot).ok());

    const uint64_t hole = virt + 0x1234'5000;
    ASSERT_TRUE(mapper.unmap(hole, k4K).ok());
    expect_unmapped(hole);

    // Every other 4 KiB page of the gigabyte: same frame, same rights.
    const uint64_t hole_2m = k::align_down(hole, k2M);
    size_t wrong = 0;
    for (uint64_t offset = 0; offset < k1G; offset += k4K) {
        const uint64_t v = virt + offset;
        if (v == hole) continue;
        const k::Result<Translation> t = mapper.translate(v + 0x7B8);
        const PageSize size = k::align_down(v, k2M) == hole_2m ? PageSize::k4K : PageSize::k2M;
        if (!t.ok() || !(t.value() == Translation{phys + offset + 0x7B8, size, prot})) {
            if (++wrong <= 5) ADD_FAILURE() << "wrong translation at 0x" << std::hex << v;
        }
    }
    EXPECT_EQ(wrong, 0u);
    EXPECT_EQ(w.mappings().size(), 511u + 511u);

    // The huge range, the split 2 MiB range and the hole were invalidated.
    EXPECT_TRUE(w.tlb.contains({virt, PageSize::k1G}));
    EXPECT_TRUE(w.tlb.contains({hole_2m, PageSize::k2M}));
    EXPECT_TRUE(w.tlb.contains({hole, PageSize::k4K}));
    EXPECT_EQ(w.check_structure(), 3u);  // PDPT, PD (from the 1G split), PT (from the 2M split)

    // And the rest goes away cleanly.
    ASSERT_TRUE(mapper.unmap(virt, k1G).ok());
    EXPECT_EQ(w.allocator.outstanding(), 0u);
    EXPECT_TRUE(w.root_is_empty());
}

TEST_F(PageTableTest, UnmapSkipsHolesAndSplitsOnlyAtTheEdges) {
    ASSERT_TRUE(mapper.map(k1G, 2 * k1G, PageSize::k2M, kUserData).ok());
    ASSERT_TRUE(mapper.map(k1G + 5 * k2M + 0x3000, 0x10'0000, PageSize::k4K, kUserData).ok());
    ASSERT_TRUE(mapper.map(k1G + 8 * k2M, 2 * k1G + 8 * k2M, PageSize::k2M, kUserData).ok());

    // From the middle of the first 2M page to the middle of the last, across
    // unmapped space and the lone 4 KiB page.
    const uint64_t first = k1G + k2M / 2;
    const uint64_t end = k1G + 8 * k2M + k2M / 4;
    ASSERT_TRUE(mapper.unmap(first, end - first).ok());

    expect_translation(k1G, 2 * k1G, PageSize::k4K, kUserData);
    expect_translation(first - k4K, 2 * k1G + k2M / 2 - k4K, PageSize::k4K, kUserData);
    expect_unmapped(first);
    expect_unmapped(k1G + 5 * k2M + 0x3000);
    expect_unmapped(end - k4K);
    expect_translation(end, 2 * k1G + 8 * k2M + k2M / 4, PageSize::k4K, kUserData);
    expect_translation(k1G + 9 * k2M - 1, 2 * k1G + 9 * k2M - 1, PageSize::k4K, kUserData);
    EXPECT_EQ(w.mappings().size(), 256u + 384u);
    w.check_structure();
}

TEST_F(PageTableTest, UnmappingEverythingFreesEveryTable) {
    ASSERT_TRUE(mapper.map_range(0x40'0000, 0x40'0000, 3 * k2M + 5 * k4K, kUserText, PageSize::k1G).ok());
    ASSERT_TRUE(mapper.map_range(0x7F'0000'0000, 8 * k1G, 2 * k1G + 2 * k2M, kUserData, PageSize::k1G).ok());
    ASSERT_TRUE(mapper.map(0xFFFF'8000'0000'0000, 0, PageSize::k1G, kKernelData).ok());
    ASSERT_TRUE(mapper.map_range(0xFFFF'FFFF'8000'0000, 0x20'0000, 3 * k2M, kKernelText, PageSize::k2M).ok());
    ASSERT_TRUE(mapper.map(0xFFFF'FFFF'FFFF'F000, 0x7000, PageSize::k4K, kDevice).ok());
    // Punch a few holes first so splits happen on the way.
    ASSERT_TRUE(mapper.unmap(0x7F'0000'0000 + k1G / 2, 3 * k4K).ok());
    ASSERT_TRUE(mapper.unmap(0xFFFF'8000'0000'0000 + k2M + k4K, k4K).ok());
    EXPECT_GT(w.check_structure(), 8u);

    ASSERT_TRUE(mapper.unmap(0, arch::kLowerHalfEnd).ok());
    ASSERT_TRUE(mapper.unmap(arch::kHigherHalfStart, 0 - arch::kHigherHalfStart).ok());
    EXPECT_EQ(w.allocator.outstanding(), 0u);
    EXPECT_EQ(w.allocator.frees(), w.allocator.allocations());
    EXPECT_TRUE(w.root_is_empty());
    EXPECT_TRUE(w.mappings().empty());
    // Freeing a PDPT unlinks a whole 512 GiB PML4 slot: no page size covers it.
    EXPECT_GT(w.tlb.full_flushes, 0);
}

// ---------------------------------------------------------------------------
// protect

TEST_F(PageTableTest, ProtectingPartOfA2MPageSplitsItAndKeepsFlags) {
    const uint64_t virt = k1G + 4 * k2M;
    const PhysAddr phys = 3 * k1G + 6 * k2M;
    const PageProt original{.writable = true, .user = true};
    ASSERT_TRUE(mapper.map(virt, phys, PageSize::k2M, original).ok());
    *w.raw_walk(virt).leaf |= kA | kD;  // as if the CPU had used and written it

    const PageProt text{.user = true, .executable = true};
    ASSERT_TRUE(mapper.protect(virt + 3 * k4K, 3 * k4K, text).ok());
    for (uint64_t offset = 0; offset < k2M; offset += k4K) {
        const bool changed = offset >= 3 * k4K && offset < 6 * k4K;
        expect_translation(virt + offset, phys + offset, PageSize::k4K, changed ? text : original);
        EXPECT_EQ(*w.raw_walk(virt + offset).leaf & (kA | kD), kA | kD) << "Accessed/Dirty lost in the split";
    }
    EXPECT_TRUE(w.tlb.contains({virt, PageSize::k2M}));
    for (uint64_t offset = 3 * k4K; offset < 6 * k4K; offset += k4K)
        EXPECT_TRUE(w.tlb.contains({virt + offset, PageSize::k4K}));
    EXPECT_EQ(w.tlb.calls.size(), 4u);

    // Asking again for what is already there changes nothing.
    w.tlb.clear();
    ASSERT_TRUE(mapper.protect(virt + 3 * k4K, 3 * k4K, text).ok());
    EXPECT_TRUE(w.tlb.calls.empty());
    w.check_structure();
}

TEST_F(PageTableTest, ProtectWholeHugePagesKeepsThemHuge) {
    ASSERT_TRUE(mapper.map_range(k1G, k1G, k1G + 2 * k2M, kKernelData, PageSize::k1G).ok());
    const size_t tables = w.check_structure();
    ASSERT_TRUE(mapper.protect(k1G, k1G + 2 * k2M, kKernelText).ok());
    expect_translation(k1G + 0x1234'5678, k1G + 0x1234'5678, PageSize::k1G, kKernelText);
    expect_translation(2 * k1G + k2M + 5, 2 * k1G + k2M + 5, PageSize::k2M, kKernelText);
    EXPECT_EQ(w.check_structure(), tables);
    EXPECT_EQ(w.tlb.calls.size(), 3u);
}

TEST_F(PageTableTest, ProtectRefusesRangesWithHolesAndChangesNothing) {
    ASSERT_TRUE(mapper.map(k1G, 0x10'0000, PageSize::k4K, kUserData).ok());
    ASSERT_TRUE(mapper.map(k1G + 2 * k4K, 0x20'0000, PageSize::k4K, kUserData).ok());
    ASSERT_TRUE(mapper.map(2 * k1G, 2 * k1G, PageSize::k2M, kUserData).ok());
    const size_t tables = w.check_structure();
    const size_t allocations = w.allocator.allocations();

    EXPECT_EQ(error_of(mapper.protect(k1G, 3 * k4K, kUserText)), k::Errno::enomem);
    // Partly over a 2M page, partly beyond it: the page must not even be split.
    EXPECT_EQ(error_of(mapper.protect(2 * k1G + k2M - k4K, 2 * k4K, kUserText)), k::Errno::enomem);

    expect_translation(k1G, 0x10'0000, PageSize::k4K, kUserData);
    expect_translation(k1G + 2 * k4K, 0x20'0000, PageSize::k4K, kUserData);
    expect_translation(2 * k1G + k2M - k4K, 2 * k1G + k2M - k4K, PageSize::k2M, kUserData);
    EXPECT_EQ(w.check_structure(), tables);
    EXPECT_EQ(w.allocator.allocations(), allocations);
    EXPECT_TRUE(w.tlb.calls.empty());
}

TEST_F(PageTableTest, ProtectToUserWidensTheTableEntriesAbove) {
    ASSERT_TRUE(mapper.map(k1G, k1G, PageSize::k2M, kKernelData).ok());
    ASSERT_TRUE(mapper.protect(k1G + k4K, k4K, kUserData).ok());
    const World::RawWalk raw = w.raw_walk(k1G + k4K);
    ASSERT_EQ(raw.path.size(), 3u);
    for (uint64_t table_entry : raw.path) EXPECT_NE(table_entry & kU, 0u);
    EXPECT_NE(*raw.leaf & kU, 0u);
    EXPECT_EQ(*w.raw_walk(k1G).leaf & kU, 0u) << "neighbours stay supervisor-only";
    w.check_structure();
}

// ---------------------------------------------------------------------------
// The PAT bit moves between bit 12 and bit 7 when pages are split

TEST_F(PageTableTest, PatBitSurvivesSplittingAndProtecting) {
    const uint64_t virt = 2 * k1G;
    const PhysAddr phys = 6 * k1G;
    ASSERT_TRUE(mapper.map(virt, phys, PageSize::k1G, kDevice).ok());
    *w.raw_walk(virt).leaf |= kPatHuge;  // e.g. write-combining through PAT entry 7

    // Split 1G -> 2M -> 4K by unmapping one page.
    const uint64_t hole = virt + 7 * k2M + 9 * k4K;
    ASSERT_TRUE(mapper.unmap(hole, k4K).ok());

    for (uint64_t offset = 0; offset < k1G; offset += k2M) {
        const World::RawWalk raw = w.raw_walk(virt + offset);
        ASSERT_NE(raw.leaf, nullptr);
        if (offset == 7 * k2M) {
            ASSERT_EQ(raw.level, 1u);
            continue;
        }
        ASSERT_EQ(raw.level, 2u);
        EXPECT_EQ(*raw.leaf, (phys + offset) | kPatHuge | kPs | kPcd | kPwt | kW | kP | kNx);
    }
    for (uint64_t offset = 7 * k2M; offset < 8 * k2M; offset += k4K) {
        if (virt + offset == hole) continue;
        const World::RawWalk raw = w.raw_walk(virt + offset);
        ASSERT_NE(raw.leaf, nullptr);
        ASSERT_EQ(raw.level, 1u);
        EXPECT_EQ(*raw.leaf, (phys + offset) | kPat4K | kPcd | kPwt | kW | kP | kNx)
            << "PAT must move to bit 7 and bit 12 must be address again";
    }

    // Protect keeps PAT, in both positions (up to the hole: protecting over
    // it is refused).
    const PageProt read_only_device{.uncached = true};
    EXPECT_EQ(error_of(mapper.protect(virt + 6 * k2M, 2 * k2M, read_only_device)), k::Errno::enomem);
    ASSERT_TRUE(mapper.protect(virt + 6 * k2M, k2M + 9 * k4K, read_only_device).ok());
    EXPECT_EQ(*w.raw_walk(virt + 6 * k2M).leaf, (phys + 6 * k2M) | kPatHuge | kPs | kPcd | kPwt | kP | kNx);
    EXPECT_EQ(*w.raw_walk(virt + 7 * k2M).leaf, (phys + 7 * k2M) | kPat4K | kPcd | kPwt | kP | kNx);
    expect_translation(virt + 7 * k2M + 0x10, phys + 7 * k2M + 0x10, PageSize::k4K, read_only_device);
    expect_translation(virt + 7 * k2M + 10 * k4K, phys + 7 * k2M + 10 * k4K, PageSize::k4K, kDevice);
    EXPECT_EQ(*w.raw_walk(virt + 7 * k2M + 10 * k4K).leaf,
              (phys + 7 * k2M + 10 * k4K) | kPat4K | kPcd | kPwt | kW | kP | kNx);
    w.check_structure();
}

// ---------------------------------------------------------------------------
// TLB invalidation

TEST_F(PageTableTest, InvalidatesExactlyTheChangedPresentEntries) {
    const uint64_t virt = k1G + 0x1000;
    ASSERT_TRUE(mapper.map(virt, 0x10'0000, PageSize::k4K, kKernelData).ok());
    ASSERT_TRUE(mapper.map(virt + k4K, 0x20'0000, PageSize::k4K, kKernelData).ok());
    EXPECT_TRUE(w.tlb.calls.empty());

    ASSERT_TRUE(mapper.protect(virt, k4K, kKernelText).ok());
    EXPECT_EQ(w.tlb.calls, (std::vector<Invalidation>{{virt, PageSize::k4K}}));

    w.tlb.clear();
    ASSERT_TRUE(mapper.unmap(virt + k4K, k4K).ok());
    EXPECT_EQ(w.tlb.calls, (std::vector<Invalidation>{{virt + k4K, PageSize::k4K}}));

    // Unmapping the last page also frees the PT, PD and PDPT: each removed
    // link is invalidated before its frame goes back.
    w.tlb.clear();
    ASSERT_TRUE(mapper.unmap(virt, k4K).ok());
    EXPECT_EQ(w.tlb.calls, (std::vector<Invalidation>{{virt, PageSize::k4K}, {k1G, PageSize::k2M}, {k1G, PageSize::k1G}}));
    EXPECT_EQ(w.tlb.full_flushes, 1);
    EXPECT_EQ(w.allocator.outstanding(), 0u);
}

TEST_F(PageTableTest, GrantingUserInACachedTableEntryIsInvalidated) {
    ASSERT_TRUE(mapper.map(k1G, 0x10'0000, PageSize::k4K, kKernelData).ok());
    ASSERT_TRUE(mapper.map(k1G + k4K, 0x20'0000, PageSize::k4K, kUserData).ok());
    for (uint64_t table_entry : w.raw_walk(k1G + k4K).path) EXPECT_NE(table_entry & kU, 0u);
    EXPECT_EQ(w.tlb.calls, (std::vector<Invalidation>{{k1G + k4K, PageSize::k4K}}));
    expect_translation(k1G, 0x10'0000, PageSize::k4K, kKernelData);
}

// ---------------------------------------------------------------------------
// Running out of memory at every possible point

// A scenario that needs about a dozen tables: maps across page sizes, then
// splits by unmap and protect. Run once with allocation number n refused for
// every n: each failing operation must report ENOMEM, change no translation,
// leave no table behind; and in the end everything unmaps to an empty root.
TEST_F(PageTableTest, OutOfMemoryAtEveryAllocationLeavesConsistentLeakFreeTables) {
    const uint64_t range_virt = k1G - 2 * k4K;
    const uint64_t high_page = 0xFFFF'8000'1234'5000;
    const uint64_t far_range = 0x7000'0000'0000;

    std::vector<uint64_t> probes;
    for (uint64_t v = range_virt; v < 2 * k1G + 2 * k2M; v += k2M / 4) probes.push_back(v);
    for (uint64_t v = k1G + 0x1220'0000; v < k1G + 0x1240'0000; v += k4K) probes.push_back(v + 8);
    for (uint64_t v = 2 * k1G; v < 2 * k1G + k2M; v += k4K) probes.push_back(v + 16);
    for (uint64_t v = far_range; v < far_range + k2M + 2 * k4K; v += k4K) probes.push_back(v);
    probes.push_back(high_page);

    using Snapshot = std::vector<std::optional<std::pair<PhysAddr, PageProt>>>;
    const auto snapshot = [&](World& world) {
        Snapshot s;
        for (uint64_t v : probes) {
            const k::Result<Translation> t = world.mapper.translate(v);
            s.push_back(t.ok() ? std::optional(std::pair(t.value().phys, t.value().prot)) : std::nullopt);
        }
        return s;
    };

    const std::vector<std::function<k::Result<void>(mm::PageTableMapper&)>> steps = {
        [&](mm::PageTableMapper& m) {
            return m.map_range(range_virt, 4 * k1G + range_virt, 2 * k4K + k1G + k2M, kUserData, PageSize::k1G);
        },
        [&](mm::PageTableMapper& m) { return m.map(high_page, 0x5000, PageSize::k4K, kKernelData); },
        [&](mm::PageTableMapper& m) { return m.unmap(k1G + 0x1234'5000, k4K); },
        [&](mm::PageTableMapper& m) { return m.protect(2 * k1G + 0x10'0000, 2 * k4K, kUserText); },
        [&](mm::PageTableMapper& m) { return m.map_range(far_range, 0x40'0000, k2M + 2 * k4K, kUserText, PageSize::k2M); },
    };

    // Reference run: nothing refused.
    size_t allocations_needed = 0;
    Snapshot reference;
    {
        World world;
        for (const auto& step : steps) ASSERT_TRUE(step(world.mapper).ok());
        allocations_needed = world.allocator.allocations();
        reference = snapshot(world);
    }
    ASSERT_GE(allocations_needed, 12u);

    for (size_t refuse_from = 0; refuse_from <= allocations_needed; ++refuse_from) {
        SCOPED_TRACE(testing::Message() << "allocations from #" << refuse_from << " refused");
        World world;
        world.allocator.fail_from(refuse_from);
        size_t failures = 0;
        for (size_t i = 0; i < steps.size(); ++i) {
            const Snapshot before = snapshot(world);
            const k::Result<void> result = steps[i](world.mapper);
            if (!result.ok()) {
                ++failures;
                EXPECT_EQ(result.error(), k::Errno::enomem) << "step " << i;
                EXPECT_TRUE(snapshot(world) == before) << "step " << i << " failed but changed translations";
            }
            world.check_structure();
        }
        if (refuse_from < allocations_needed) {
            EXPECT_GT(failures, 0u);
            EXPECT_GT(world.allocator.refusals(), 0u);
        } else {
            EXPECT_EQ(failures, 0u);
            EXPECT_TRUE(snapshot(world) == reference);
        }

        world.allocator.never_fail();
        ASSERT_TRUE(world.mapper.unmap(0, arch::kLowerHalfEnd).ok());
        ASSERT_TRUE(world.mapper.unmap(arch::kHigherHalfStart, 0 - arch::kHigherHalfStart).ok());
        EXPECT_EQ(world.allocator.outstanding(), 0u) << "tables leaked";
        EXPECT_TRUE(world.root_is_empty());
    }
}

}  // namespace
