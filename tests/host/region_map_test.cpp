#include "kernel/mm/region_map.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using mm::kMmapMinAddr;
using mm::kProtExec;
using mm::kProtNone;
using mm::kProtRead;
using mm::kProtWrite;
using mm::kRegionAnonymous;
using mm::kRegionDontFork;
using mm::kRegionGrowsDown;
using mm::kRegionHuge1G;
using mm::kRegionHugetlb;
using mm::kRegionShared;
using mm::kUserTop;
using mm::Region;
using mm::RegionMap;

constexpr uint64_t kPage = 0x1000;
constexpr uint64_t k2M = uint64_t{1} << 21;
constexpr uint64_t k1G = uint64_t{1} << 30;
constexpr uint64_t kBase = 0x4000'0000;  // 1 GiB: 1G-aligned, far from both bounds
constexpr uint32_t kRW = kProtRead | kProtWrite;

constexpr uint64_t page(uint64_t n) { return kBase + n * kPage; }

// Distinct fake backing objects (only their addresses matter).
int g_objects[4];
void* const kFileA = &g_objects[0];
void* const kFileB = &g_objects[1];

// new/delete with a budget: `budget` more allocations succeed, then it returns
// nullptr (-1: never fails). Counts live objects so that leaks show.
class TestAllocator final : public mm::RegionAllocator {
public:
    ~TestAllocator() { EXPECT_EQ(live, 0) << "regions leaked"; }
    Region* allocate() override {
        if (budget == 0) {
            ++failures;
            return nullptr;
        }
        if (budget > 0) --budget;
        ++live;
        ++allocations;
        return new Region;
    }
    void free(Region* region) override {
        EXPECT_FALSE(region->node.is_linked());
        --live;
        delete region;
    }

    long budget = -1;
    long live = 0;
    long allocations = 0;
    long failures = 0;
};

struct Range {
    uint64_t start, end;
    bool operator==(const Range&) const = default;
};
std::ostream& operator<<(std::ostream& out, const Range& r) {
    return out << std::hex << "[" << r.start << ", " << r.end << ")";
}

// Counts every hook and keeps the reference count each backing object would
// have in the kernel: one per region naming it. (The test takes the reference
// of an insert itself, via TestMap::insert, as the kernel's mmap would.)
class TestObserver final : public mm::RegionObserver {
public:
    void on_split(Region& original, Region& new_piece) override {
        ++splits;
        EXPECT_EQ(original.end, new_piece.start);
        EXPECT_EQ(original.object, new_piece.object);
        EXPECT_EQ(original.prot, new_piece.prot);
        EXPECT_EQ(original.flags, new_piece.flags);
        EXPECT_EQ(new_piece.object_offset, original.object_offset + original.size());
        EXPECT_TRUE(new_piece.node.is_linked());
        ++refs[new_piece.object];
    }
    void on_merge(Region& survivor, Region& absorbed) override {
        ++merges;
        EXPECT_EQ(survivor.end, absorbed.end);
        EXPECT_EQ(survivor.object, absorbed.object);
        EXPECT_TRUE(survivor.node.is_linked());
        EXPECT_FALSE(absorbed.node.is_linked());
        --refs[absorbed.object];
    }
    void on_remove(Region& region) override {
        ++removes;
        EXPECT_FALSE(region.node.is_linked());
        removed.push_back({region.start, region.end});
        --refs[region.object];
    }
    k::Result<void> on_clone(Region& parent_region, Region& child_region) override {
        ++clone_calls;
        EXPECT_EQ(parent_region.start, child_region.start);
        EXPECT_EQ(parent_region.end, child_region.end);
        EXPECT_NE(&parent_region, &child_region);
        EXPECT_TRUE(child_region.node.is_linked());
        if (clone_budget == 0) return k::error(k::Errno::enomem);
        if (clone_budget > 0) --clone_budget;
        ++clones;
        ++refs[child_region.object];
        return {};
    }

    void reset_counts() {
        splits = merges = removes = clones = clone_calls = 0;
        removed.clear();
    }

    int splits = 0, merges = 0, removes = 0, clones = 0, clone_calls = 0;
    long clone_budget = -1;  // on_clone fails after this many successes (-1: never)
    std::vector<Range> removed;
    std::map<void*, long> refs;
};

// What a region looks like, for comparing whole maps.
using Snapshot = std::vector<std::tuple<uint64_t, uint64_t, uint32_t, uint32_t, void*, uint64_t>>;

Snapshot snapshot(const RegionMap& map) {
    Snapshot out;
    map.for_each([&](const Region& r) {
        out.emplace_back(r.start, r.end, r.prot, r.flags, r.object, r.object_offset);
    });
    return out;
}

// References per object, counted from the map itself.
std::map<void*, long> refs_in(const RegionMap& map) {
    std::map<void*, long> refs;
    map.for_each([&](const Region& r) { ++refs[r.object]; });
    return refs;
}

// The allocator and observer must outlive the map: members in this order.
struct TestMap {
    TestAllocator allocator;
    TestObserver observer;
    RegionMap map{allocator, &observer};

    ~TestMap() {
        map.clear();
        expect_consistent();
    }

    Region* insert(uint64_t start, uint64_t end, uint32_t prot = kRW, uint32_t flags = kRegionAnonymous,
                   void* object = nullptr, uint64_t offset = 0) {
        k::Result<Region*> r = map.insert(start, end, prot, flags, object, offset);
        EXPECT_TRUE(r.ok()) << k::errno_name(r.error());
        if (!r.ok()) return nullptr;
        ++observer.refs[object];
        return r.value();
    }

    // Map valid, references balanced, no Region lost or leaked.
    void expect_consistent() {
        EXPECT_TRUE(map.check_invariants());
        std::map<void*, long> expected = refs_in(map);
        for (auto& [object, count] : observer.refs) {
            auto found = expected.find(object);
            EXPECT_EQ(count, found == expected.end() ? 0 : found->second) << "object " << object;
        }
        EXPECT_EQ(allocator.live, static_cast<long>(map.count()));
    }
};

// ---- Basics: insert, find -------------------------------------------------

TEST(RegionMap, EmptyMap) {
    TestMap t;
    EXPECT_TRUE(t.map.empty());
    EXPECT_EQ(t.map.count(), 0u);
    EXPECT_EQ(t.map.total_bytes(), 0u);
    EXPECT_EQ(t.map.find(kBase), nullptr);
    EXPECT_EQ(t.map.first_at_or_after(0), nullptr);
    EXPECT_TRUE(t.map.check_invariants());
    int calls = 0;
    t.map.for_each([&](const Region&) { ++calls; });
    EXPECT_EQ(calls, 0);
}

TEST(RegionMap, InsertAndFind) {
    TestMap t;
    Region* a = t.insert(page(10), page(20), kProtRead, kRegionAnonymous);
    Region* b = t.insert(page(30), page(31), kRW, kRegionShared, kFileA, 0x5000);
    Region* c = t.insert(page(0), page(5), kProtRead | kProtExec, 0, kFileB, 0);
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(t.map.count(), 3u);
    EXPECT_EQ(t.map.total_bytes(), 16 * kPage);

    EXPECT_EQ(b->start, page(30));
    EXPECT_EQ(b->end, page(31));
    EXPECT_EQ(b->prot, kRW);
    EXPECT_EQ(b->flags, kRegionShared);
    EXPECT_EQ(b->object, kFileA);
    EXPECT_EQ(b->object_offset, 0x5000u);
    EXPECT_EQ(b->offset_of(page(30) + 0x123), 0x5123u);

    EXPECT_EQ(t.map.find(page(10)), a);
    EXPECT_EQ(t.map.find(page(15) + 7), a);
    EXPECT_EQ(t.map.find(page(20) - 1), a);
    EXPECT_EQ(t.map.find(page(20)), nullptr);  // end is exclusive
    EXPECT_EQ(t.map.find(page(9)), nullptr);
    EXPECT_EQ(t.map.find(page(30)), b);
    EXPECT_EQ(t.map.find(page(0)), c);
    EXPECT_EQ(t.map.find(page(31)), nullptr);
    EXPECT_EQ(t.map.find(0), nullptr);
    EXPECT_EQ(t.map.find(UINT64_MAX), nullptr);

    // first_at_or_after: the containing region, else the next one above.
    EXPECT_EQ(t.map.first_at_or_after(0), c);
    EXPECT_EQ(t.map.first_at_or_after(page(3)), c);
    EXPECT_EQ(t.map.first_at_or_after(page(5)), a);
    EXPECT_EQ(t.map.first_at_or_after(page(19)), a);
    EXPECT_EQ(t.map.first_at_or_after(page(20)), b);
    EXPECT_EQ(t.map.first_at_or_after(page(31)), nullptr);

    const RegionMap& const_map = t.map;
    EXPECT_EQ(const_map.find(page(12)), a);
    EXPECT_EQ(const_map.first_at_or_after(page(25)), b);

    // for_each goes in address order.
    std::vector<uint64_t> starts;
    t.map.for_each([&](const Region& r) { starts.push_back(r.start); });
    EXPECT_EQ(starts, (std::vector<uint64_t>{page(0), page(10), page(30)}));
    t.expect_consistent();
}

TEST(RegionMap, InsertRejectsBadArguments) {
    TestMap t;
    t.insert(page(10), page(20));
    const Snapshot before = snapshot(t.map);
    struct Case {
        uint64_t start, end;
        uint32_t prot, flags;
        uint64_t offset;
        k::Errno expected;
    };
    constexpr k::Errno kInval = k::Errno::einval;
    const Case cases[] = {
        {page(0) + 1, page(1), kRW, 0, 0, kInval},                                // unaligned start
        {page(0), page(1) - 1, kRW, 0, 0, kInval},                                // unaligned end
        {page(1), page(1), kRW, 0, 0, kInval},                                    // empty
        {page(2), page(1), kRW, 0, 0, kInval},                                    // reversed
        {kMmapMinAddr - kPage, kMmapMinAddr + kPage, kRW, 0, 0, kInval},          // below mmap_min_addr
        {0, kPage, kRW, 0, 0, kInval},                                            // page zero
        {kUserTop - kPage, kUserTop + kPage, kRW, 0, 0, kInval},                  // beyond the top
        {kUserTop, kUserTop + kPage, kRW, 0, 0, kInval},                          // above the top
        {page(0), page(1), 0x8, 0, 0, kInval},                                    // unknown prot bit
        {page(0), page(1), kRW, 1u << 20, 0, kInval},                             // unknown flag bit
        {page(0), page(1), kRW, kRegionHuge1G, 0, kInval},                        // 1G without hugetlb
        {kBase, kBase + kPage, kRW, kRegionHugetlb, 0, kInval},                   // not 2M sized
        {kBase + kPage, kBase + k2M + kPage, kRW, kRegionHugetlb, 0, kInval},     // not 2M aligned
        {kBase, kBase + k2M, kRW, kRegionHugetlb | kRegionHuge1G, 0, kInval},     // not 1G sized
        {page(0), page(1), kRW, 0, 0x800, kInval},                                // unaligned offset
        {kBase - k2M, kBase, kRW, kRegionHugetlb, kPage, kInval},                 // offset not 2M aligned
        {page(0), page(2), kRW, 0, UINT64_MAX - kPage + 1, k::Errno::eoverflow},  // offset + size wraps
        {page(10), page(20), kRW, 0, 0, k::Errno::eexist},                        // the same range again
    };
    for (const Case& c : cases) {
        k::Result<Region*> r = t.map.insert(c.start, c.end, c.prot, c.flags, nullptr, c.offset);
        ASSERT_FALSE(r.ok()) << std::hex << c.start << ".." << c.end;
        EXPECT_EQ(r.error(), c.expected) << std::hex << c.start << ".." << c.end;
    }
    EXPECT_EQ(snapshot(t.map), before);
    EXPECT_EQ(t.allocator.allocations, 1);  // nothing was allocated for the failures

    // The limits themselves are fine.
    EXPECT_NE(t.insert(kMmapMinAddr, kMmapMinAddr + kPage), nullptr);
    EXPECT_NE(t.insert(kUserTop - kPage, kUserTop), nullptr);
    EXPECT_NE(t.insert(page(0), page(2), kRW, 0, kFileA, UINT64_MAX - 3 * kPage + 1), nullptr);
    EXPECT_NE(t.insert(kBase - k2M, kBase, kRW, kRegionHugetlb, kFileB, k2M), nullptr);
    t.expect_consistent();
}

TEST(RegionMap, InsertOverlapIsEexistAndTouchingIsFine) {
    TestMap t;
    t.insert(page(10), page(20));
    const std::pair<uint64_t, uint64_t> overlapping[] = {
        {page(10), page(20)}, {page(12), page(13)}, {page(5), page(25)},
        {page(5), page(11)},  {page(19), page(21)}, {page(0), page(20)},
    };
    for (auto [start, end] : overlapping) {
        k::Result<Region*> r = t.map.insert(start, end, kRW, 0, nullptr, 0);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error(), k::Errno::eexist);
    }
    EXPECT_EQ(t.map.count(), 1u);
    // Right next to it on both sides: separate regions (insert never merges).
    EXPECT_NE(t.insert(page(5), page(10)), nullptr);
    EXPECT_NE(t.insert(page(20), page(25)), nullptr);
    EXPECT_EQ(t.map.count(), 3u);
    EXPECT_EQ(t.map.total_bytes(), 20 * kPage);
    t.expect_consistent();
}

TEST(RegionMap, InsertAllocationFailureIsEnomem) {
    TestMap t;
    t.allocator.budget = 0;
    k::Result<Region*> r = t.map.insert(page(0), page(1), kRW, 0, nullptr, 0);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), k::Errno::enomem);
    EXPECT_TRUE(t.map.empty());
    EXPECT_EQ(t.map.total_bytes(), 0u);
    t.allocator.budget = -1;
    t.expect_consistent();
}

// ---- remove_range (munmap) ---------------------------------------------------

TEST(RegionMap, RemoveMiddleLeavesTwoPiecesAndAHole) {
    TestMap t;
    t.insert(page(0), page(10), kRW, kRegionShared, kFileA, 0x10000);
    t.observer.reset_counts();
    ASSERT_TRUE(t.map.remove_range(page(3), page(5)).ok());

    // Cut at 3 (piece [3,10)), cut that at 5 (piece [5,10)), remove [3,5).
    EXPECT_EQ(t.observer.splits, 2);
    EXPECT_EQ(t.observer.removes, 1);
    EXPECT_EQ(t.observer.removed, (std::vector<Range>{{page(3), page(5)}}));
    EXPECT_EQ(snapshot(t.map), (Snapshot{
                                   {page(0), page(3), kRW, kRegionShared, kFileA, 0x10000},
                                   {page(5), page(10), kRW, kRegionShared, kFileA, 0x10000 + 5 * kPage},
                               }));
    EXPECT_EQ(t.map.total_bytes(), 8 * kPage);
    EXPECT_EQ(t.map.find(page(4)), nullptr);
    EXPECT_EQ(t.map.find(page(7))->offset_of(page(7)), 0x10000 + 7 * kPage);  // same byte of the file as before
    EXPECT_EQ(t.observer.refs[kFileA], 2);
    t.expect_consistent();
}

TEST(RegionMap, RemoveAtTheEdges) {
    TestMap t;
    t.insert(page(0), page(10), kProtRead, 0, kFileA, 0);
    t.observer.reset_counts();

    ASSERT_TRUE(t.map.remove_range(page(0), page(2)).ok());  // head: one cut
    EXPECT_EQ(t.observer.splits, 1);
    EXPECT_EQ(t.observer.removed, (std::vector<Range>{{page(0), page(2)}}));
    EXPECT_EQ(snapshot(t.map), (Snapshot{{page(2), page(10), kProtRead, 0, kFileA, 2 * kPage}}));

    ASSERT_TRUE(t.map.remove_range(page(8), page(10)).ok());  // tail: one cut
    EXPECT_EQ(t.observer.splits, 2);
    EXPECT_EQ(snapshot(t.map), (Snapshot{{page(2), page(8), kProtRead, 0, kFileA, 2 * kPage}}));

    ASSERT_TRUE(t.map.remove_range(page(2), page(8)).ok());  // exactly the region: no cut
    EXPECT_EQ(t.observer.splits, 2);
    EXPECT_EQ(t.observer.removes, 3);
    EXPECT_TRUE(t.map.empty());
    EXPECT_EQ(t.map.total_bytes(), 0u);
    t.expect_consistent();
}

TEST(RegionMap, RemoveAcrossSeveralRegionsAndHoles) {
    TestMap t;
    t.insert(page(0), page(4), kRW, 0, kFileA, 0);
    t.insert(page(6), page(8));
    t.insert(page(8), page(9), kProtRead);
    t.insert(page(12), page(20), kRW, 0, kFileB, 0x100000);
    t.insert(page(30), page(40));
    t.observer.reset_counts();

    ASSERT_TRUE(t.map.remove_range(page(2), page(15)).ok());
    EXPECT_EQ(t.observer.splits, 2);  // [0,4) at 2 and [12,20) at 15
    EXPECT_EQ(t.observer.removed,
              (std::vector<Range>{{page(2), page(4)}, {page(6), page(8)}, {page(8), page(9)}, {page(12), page(15)}}));
    EXPECT_EQ(snapshot(t.map), (Snapshot{
                                   {page(0), page(2), kRW, 0, kFileA, 0},
                                   {page(15), page(20), kRW, 0, kFileB, 0x100000 + 3 * kPage},
                                   {page(30), page(40), kRW, kRegionAnonymous, nullptr, 0},
                               }));
    EXPECT_EQ(t.map.total_bytes(), 17 * kPage);
    t.expect_consistent();
}

TEST(RegionMap, RemoveOfNothingMappedSucceeds) {
    TestMap t;
    EXPECT_TRUE(t.map.remove_range(page(0), page(100)).ok());
    t.insert(page(10), page(20));
    EXPECT_TRUE(t.map.remove_range(page(0), page(10)).ok());   // ends where the region starts
    EXPECT_TRUE(t.map.remove_range(page(20), page(30)).ok());  // starts where it ends
    EXPECT_TRUE(t.map.remove_range(0, kPage).ok());            // below mmap_min_addr: nothing there
    EXPECT_EQ(t.map.count(), 1u);
    EXPECT_EQ(t.observer.removes, 0);
    EXPECT_EQ(t.allocator.allocations, 1);
    // Everything: the whole user range.
    EXPECT_TRUE(t.map.remove_range(0, kUserTop).ok());
    EXPECT_TRUE(t.map.empty());
    t.expect_consistent();
}

TEST(RegionMap, RemoveRejectsBadRanges) {
    TestMap t;
    t.insert(page(0), page(10));
    const std::pair<uint64_t, uint64_t> bad[] = {
        {page(1) + 1, page(3)},  // unaligned start
        {page(1), page(3) - 1},  // unaligned end
        {page(3), page(3)},      // empty
        {page(3), page(1)},      // reversed
        {kUserTop - kPage, kUserTop + kPage},  // beyond the top
        {0, UINT64_MAX & ~(kPage - 1)},
    };
    for (auto [start, end] : bad) {
        k::Result<void> r = t.map.remove_range(start, end);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error(), k::Errno::einval);
    }
    EXPECT_EQ(snapshot(t.map), (Snapshot{{page(0), page(10), kRW, kRegionAnonymous, nullptr, 0}}));
    EXPECT_EQ(t.observer.splits + t.observer.removes, 0);
}

TEST(RegionMap, RemoveAllocationFailureChangesNothing) {
    TestMap t;
    t.insert(page(0), page(10), kRW, 0, kFileA, 0);
    t.insert(page(20), page(30), kRW, 0, kFileB, 0);
    const Snapshot before = snapshot(t.map);
    t.observer.reset_counts();

    // The middle of a region needs two new pieces; with only one available
    // nothing may change (and the one that was allocated goes back).
    for (long budget : {0L, 1L}) {
        t.allocator.budget = budget;
        k::Result<void> r = t.map.remove_range(page(3), page(5));
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error(), k::Errno::enomem);
        EXPECT_EQ(snapshot(t.map), before);
        EXPECT_EQ(t.observer.splits + t.observer.removes, 0);
        t.expect_consistent();
    }
    // Across both regions, cutting both: also two pieces.
    t.allocator.budget = 1;
    EXPECT_EQ(t.map.remove_range(page(5), page(25)).error(), k::Errno::enomem);
    EXPECT_EQ(snapshot(t.map), before);
    // A whole region needs no allocation at all.
    t.allocator.budget = 0;
    EXPECT_TRUE(t.map.remove_range(page(20), page(30)).ok());
    // One edge needs one.
    t.allocator.budget = 1;
    EXPECT_TRUE(t.map.remove_range(page(0), page(2)).ok());
    EXPECT_EQ(t.allocator.budget, 0);
    EXPECT_EQ(snapshot(t.map), (Snapshot{{page(2), page(10), kRW, 0, kFileA, 2 * kPage}}));
    t.allocator.budget = -1;
    t.expect_consistent();
}

// ---- hugetlb -----------------------------------------------------------------

TEST(RegionMap, HugetlbRegionsAreCutOnlyAtHugePageBoundaries) {
    TestMap t;
    const uint32_t huge = kRegionHugetlb | kRegionAnonymous;
    t.insert(kBase, kBase + 4 * k2M, kRW, huge, kFileA, 0);
    const Snapshot before = snapshot(t.map);

    // Edges inside the region that are only 4 KiB aligned: EINVAL, no change.
    EXPECT_EQ(t.map.remove_range(kBase, kBase + kPage).error(), k::Errno::einval);
    EXPECT_EQ(t.map.remove_range(kBase + kPage, kBase + k2M).error(), k::Errno::einval);
    EXPECT_EQ(t.map.remove_range(kBase + k2M, kBase + 3 * k2M + kPage).error(), k::Errno::einval);
    EXPECT_EQ(t.map.protect_range(kBase, kBase + kPage, kProtRead).error(), k::Errno::einval);
    EXPECT_EQ(t.map.protect_range(kBase + k2M - kPage, kBase + 4 * k2M, kProtRead).error(), k::Errno::einval);
    EXPECT_EQ(t.map.set_flag_range(kBase + kPage, kBase + k2M, kRegionDontFork, true).error(), k::Errno::einval);
    EXPECT_EQ(snapshot(t.map), before);
    EXPECT_EQ(t.observer.splits, 0);
    EXPECT_EQ(t.allocator.allocations, 1);

    // A protect that changes nothing needs no cut, so alignment does not matter.
    EXPECT_TRUE(t.map.protect_range(kBase + kPage, kBase + 2 * kPage, kRW).ok());
    EXPECT_EQ(snapshot(t.map), before);

    // Huge-page aligned edges are fine.
    ASSERT_TRUE(t.map.protect_range(kBase + k2M, kBase + 2 * k2M, kProtRead).ok());
    EXPECT_EQ(t.map.count(), 3u);
    ASSERT_TRUE(t.map.remove_range(kBase, kBase + k2M).ok());
    EXPECT_EQ(t.observer.removed, (std::vector<Range>{{kBase, kBase + k2M}}));
    EXPECT_EQ(t.map.find(kBase + 3 * k2M)->offset_of(kBase + 3 * k2M), 3 * k2M);

    // An unaligned range whose edges fall outside hugetlb regions removes them whole.
    t.insert(kBase - 3 * kPage, kBase);
    ASSERT_TRUE(t.map.remove_range(kBase - kPage, kBase + 4 * k2M + kPage).ok());
    EXPECT_EQ(snapshot(t.map), (Snapshot{{kBase - 3 * kPage, kBase - kPage, kRW, kRegionAnonymous, nullptr, 0}}));
    t.expect_consistent();
}

TEST(RegionMap, OneGigabyteHugetlb) {
    TestMap t;
    const uint32_t huge = kRegionHugetlb | kRegionHuge1G | kRegionShared;
    Region* r = t.insert(4 * k1G, 7 * k1G, kRW, huge, kFileA, k1G);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->page_size(), k1G);
    EXPECT_EQ(t.map.remove_range(5 * k1G, 5 * k1G + k2M).error(), k::Errno::einval);  // 2M is not enough
    EXPECT_EQ(t.map.protect_range(5 * k1G + k2M, 6 * k1G, kProtRead).error(), k::Errno::einval);
    EXPECT_EQ(t.map.count(), 1u);
    ASSERT_TRUE(t.map.remove_range(5 * k1G, 6 * k1G).ok());
    EXPECT_EQ(snapshot(t.map), (Snapshot{
                                   {4 * k1G, 5 * k1G, kRW, huge, kFileA, k1G},
                                   {6 * k1G, 7 * k1G, kRW, huge, kFileA, 3 * k1G},
                               }));
    t.expect_consistent();
}

// ---- protect_range (mprotect) ------------------------------------------------

TEST(RegionMap, ProtectSplitsAndMergesBack) {
    TestMap t;
    t.insert(page(0), page(10), kRW, kRegionShared, kFileA, 0x40000);
    t.observer.reset_counts();

    ASSERT_TRUE(t.map.protect_range(page(4), page(6), kProtRead).ok());
    EXPECT_EQ(t.observer.splits, 2);
    EXPECT_EQ(t.observer.merges, 0);
    EXPECT_EQ(snapshot(t.map), (Snapshot{
                                   {page(0), page(4), kRW, kRegionShared, kFileA, 0x40000},
                                   {page(4), page(6), kProtRead, kRegionShared, kFileA, 0x40000 + 4 * kPage},
                                   {page(6), page(10), kRW, kRegionShared, kFileA, 0x40000 + 6 * kPage},
                               }));
    EXPECT_EQ(t.map.total_bytes(), 10 * kPage);
    EXPECT_EQ(t.observer.refs[kFileA], 3);

    // Putting the old protection back makes all three identical again.
    ASSERT_TRUE(t.map.protect_range(page(4), page(6), kRW).ok());
    EXPECT_EQ(t.observer.splits, 2);
    EXPECT_EQ(t.observer.merges, 2);
    EXPECT_EQ(snapshot(t.map), (Snapshot{{page(0), page(10), kRW, kRegionShared, kFileA, 0x40000}}));
    EXPECT_EQ(t.observer.refs[kFileA], 1);
    EXPECT_EQ(t.observer.removes, 0);  // merging unmaps nothing
    t.expect_consistent();
}

TEST(RegionMap, ProtectAcrossRegionsCutsOnlyTheEdgesThatChange) {
    TestMap t;
    t.insert(page(0), page(4), kProtRead, 0, kFileA, 0);
    t.insert(page(4), page(8), kRW, 0, kFileA, 4 * kPage);  // contiguous in the file
    t.insert(page(8), page(12), kProtRead, 0, kFileA, 8 * kPage);
    t.observer.reset_counts();

    // [2,10) to read-only: [0,4) is read-only already, so no cut at 2;
    // [8,12) too, so no cut at 10. Then all of it is alike: one region.
    ASSERT_TRUE(t.map.protect_range(page(2), page(10), kProtRead).ok());
    EXPECT_EQ(t.observer.splits, 0);
    EXPECT_EQ(t.observer.merges, 2);
    EXPECT_EQ(snapshot(t.map), (Snapshot{{page(0), page(12), kProtRead, 0, kFileA, 0}}));
    t.expect_consistent();
}

TEST(RegionMap, ProtectDoesNotMergeDifferentRegions) {
    TestMap t;
    t.insert(page(0), page(2), kProtRead, 0, kFileA, 0);
    t.insert(page(2), page(4), kRW, 0, kFileB, 2 * kPage);                         // other object
    t.insert(page(4), page(6), kRW, 0, kFileB, 0x100000);                          // offset not contiguous
    t.insert(page(6), page(8), kRW, kRegionShared, kFileB, 0x100000 + 2 * kPage);  // other flags
    t.insert(page(9), page(10), kRW, kRegionShared, kFileB, 0x100000 + 4 * kPage); // not adjacent
    ASSERT_TRUE(t.map.protect_range(page(0), page(2), kRW).ok());
    ASSERT_TRUE(t.map.protect_range(page(9), page(10), kRW).ok());
    // Every boundary inside the range: all alike but for the object, the
    // offset or the flags.
    ASSERT_TRUE(t.map.protect_range(page(0), page(8), kProtRead).ok());
    ASSERT_TRUE(t.map.protect_range(page(0), page(8), kRW).ok());
    EXPECT_EQ(t.observer.merges, 0);
    EXPECT_EQ(t.observer.splits, 0);
    EXPECT_EQ(t.map.count(), 5u);
    t.expect_consistent();
}

TEST(RegionMap, ProtectMergesWithNeighboursOutsideTheRange) {
    TestMap t;
    t.insert(page(0), page(4), kProtRead);
    t.insert(page(4), page(8), kRW, kRegionAnonymous, nullptr, 4 * kPage);
    t.insert(page(8), page(12), kProtRead, kRegionAnonymous, nullptr, 8 * kPage);
    ASSERT_TRUE(t.map.protect_range(page(4), page(8), kProtRead).ok());
    EXPECT_EQ(snapshot(t.map), (Snapshot{{page(0), page(12), kProtRead, kRegionAnonymous, nullptr, 0}}));
    EXPECT_EQ(t.observer.merges, 2);
    t.expect_consistent();
}

TEST(RegionMap, ProtectErrors) {
    TestMap t;
    t.insert(page(0), page(4));
    t.insert(page(6), page(10));
    const Snapshot before = snapshot(t.map);

    // A hole anywhere in the range: ENOMEM, checked before anything changes
    // (so [0,4) keeps its protection although it comes first).
    EXPECT_EQ(t.map.protect_range(page(0), page(10), kProtRead).error(), k::Errno::enomem);
    EXPECT_EQ(t.map.protect_range(page(2), page(5), kProtRead).error(), k::Errno::enomem);
    EXPECT_EQ(t.map.protect_range(page(4), page(6), kProtRead).error(), k::Errno::enomem);
    EXPECT_EQ(t.map.protect_range(page(8), page(11), kProtRead).error(), k::Errno::enomem);
    EXPECT_EQ(t.map.protect_range(page(20), page(21), kProtRead).error(), k::Errno::enomem);
    EXPECT_EQ(t.map.protect_range(kUserTop - kPage, kUserTop + kPage, kProtRead).error(), k::Errno::enomem);
    // Bad arguments: EINVAL.
    EXPECT_EQ(t.map.protect_range(page(0) + 1, page(2), kProtRead).error(), k::Errno::einval);
    EXPECT_EQ(t.map.protect_range(page(0), page(2) + 1, kProtRead).error(), k::Errno::einval);
    EXPECT_EQ(t.map.protect_range(page(2), page(1), kProtRead).error(), k::Errno::einval);
    EXPECT_EQ(t.map.protect_range(page(0), page(2), 0x10).error(), k::Errno::einval);
    EXPECT_EQ(snapshot(t.map), before);
    EXPECT_EQ(t.observer.splits, 0);

    // A zero-length range is a no-op, even where nothing is mapped.
    EXPECT_TRUE(t.map.protect_range(page(5), page(5), kProtRead).ok());
    EXPECT_TRUE(t.map.set_flag_range(page(5), page(5), kRegionDontFork, true).ok());
    EXPECT_EQ(snapshot(t.map), before);

    // Allocation failure: nothing changes.
    t.allocator.budget = 1;
    EXPECT_EQ(t.map.protect_range(page(1), page(2), kProtNone).error(), k::Errno::enomem);
    t.allocator.budget = 0;
    EXPECT_EQ(t.map.protect_range(page(0), page(2), kProtNone).error(), k::Errno::enomem);
    EXPECT_EQ(snapshot(t.map), before);
    // ...unless no cut is needed.
    EXPECT_TRUE(t.map.protect_range(page(6), page(10), kProtNone).ok());
    t.allocator.budget = -1;
    t.expect_consistent();
}

TEST(RegionMap, ProtectWholeRangeOfAdjacentRegions) {
    TestMap t;
    for (uint64_t i = 0; i < 8; ++i) t.insert(page(i), page(i + 1), kProtRead, kRegionAnonymous, nullptr, page(i));
    ASSERT_TRUE(t.map.protect_range(page(0), page(8), kRW | kProtExec).ok());
    // All eight had contiguous offsets: one region now.
    EXPECT_EQ(snapshot(t.map), (Snapshot{{page(0), page(8), kRW | kProtExec, kRegionAnonymous, nullptr, page(0)}}));
    EXPECT_EQ(t.observer.merges, 7);
    t.expect_consistent();
}

// ---- set_flag_range (madvise DONTFORK / DOFORK) ------------------------------

TEST(RegionMap, DontForkSplitsAndDoForkMerges) {
    TestMap t;
    t.insert(page(0), page(10), kRW, kRegionAnonymous | kRegionGrowsDown, nullptr, 0);
    ASSERT_TRUE(t.map.set_flag_range(page(2), page(5), kRegionDontFork, true).ok());
    EXPECT_EQ(snapshot(t.map),
              (Snapshot{
                  {page(0), page(2), kRW, kRegionAnonymous | kRegionGrowsDown, nullptr, 0},
                  {page(2), page(5), kRW, kRegionAnonymous | kRegionGrowsDown | kRegionDontFork, nullptr, 2 * kPage},
                  {page(5), page(10), kRW, kRegionAnonymous | kRegionGrowsDown, nullptr, 5 * kPage},
              }));
    EXPECT_EQ(t.observer.splits, 2);
    // Setting it again changes nothing, and needs no cut.
    t.allocator.budget = 0;
    ASSERT_TRUE(t.map.set_flag_range(page(3), page(4), kRegionDontFork, true).ok());
    EXPECT_EQ(t.map.count(), 3u);
    t.allocator.budget = -1;
    // Holes: ENOMEM, nothing changed.
    EXPECT_EQ(t.map.set_flag_range(page(8), page(12), kRegionDontFork, false).error(), k::Errno::enomem);
    EXPECT_EQ(t.map.count(), 3u);
    ASSERT_TRUE(t.map.set_flag_range(page(0), page(10), kRegionDontFork, false).ok());
    EXPECT_EQ(snapshot(t.map), (Snapshot{{page(0), page(10), kRW, kRegionAnonymous | kRegionGrowsDown, nullptr, 0}}));
    EXPECT_EQ(t.observer.merges, 2);
    t.expect_consistent();
}

// ---- find_free (mmap placement) ----------------------------------------------

TEST(RegionMap, FindFreeTopDownInAnEmptyMap) {
    TestMap t;
    const uint64_t low = page(0), high = page(100);
    EXPECT_EQ(t.map.find_free(kPage, 0, kPage, low, high).value(), page(99));
    EXPECT_EQ(t.map.find_free(10 * kPage, 0, kPage, low, high).value(), page(90));
    EXPECT_EQ(t.map.find_free(100 * kPage, 0, kPage, low, high).value(), page(0));
    EXPECT_EQ(t.map.find_free(101 * kPage, 0, kPage, low, high).error(), k::Errno::enomem);
    // The default: the whole user range, highest first.
    EXPECT_EQ(t.map.find_free(kPage, 0, kPage, 0, UINT64_MAX).value(), kUserTop - kPage);
    EXPECT_EQ(t.map.find_free(k2M, 0, k2M, 0, UINT64_MAX).value(), k::align_down(kUserTop - k2M, k2M));
    EXPECT_EQ(t.map.find_free(k1G, 0, k1G, 0, UINT64_MAX).value(), k::align_down(kUserTop - k1G, k1G));
    // The bottom is clamped to mmap_min_addr.
    EXPECT_EQ(t.map.find_free(kPage, 0, kPage, 0, kMmapMinAddr + kPage).value(), kMmapMinAddr);
    EXPECT_EQ(t.map.find_free(kPage, 0, kPage, 0, kMmapMinAddr).error(), k::Errno::enomem);
}

TEST(RegionMap, FindFreeSkipsRegionsAndSmallGaps) {
    TestMap t;
    const uint64_t low = page(0), high = page(100);
    t.insert(page(95), page(100));
    t.insert(page(90), page(93));  // gap [93,95): 2 pages
    t.insert(page(50), page(80));  // gap [80,90): 10 pages
    EXPECT_EQ(t.map.find_free(kPage, 0, kPage, low, high).value(), page(94));
    EXPECT_EQ(t.map.find_free(2 * kPage, 0, kPage, low, high).value(), page(93));
    EXPECT_EQ(t.map.find_free(3 * kPage, 0, kPage, low, high).value(), page(87));
    EXPECT_EQ(t.map.find_free(10 * kPage, 0, kPage, low, high).value(), page(80));
    EXPECT_EQ(t.map.find_free(11 * kPage, 0, kPage, low, high).value(), page(39));
    EXPECT_EQ(t.map.find_free(50 * kPage, 0, kPage, low, high).value(), page(0));
    EXPECT_EQ(t.map.find_free(51 * kPage, 0, kPage, low, high).error(), k::Errno::enomem);
    // A region straddling `highest` counts as occupied up to it.
    EXPECT_EQ(t.map.find_free(kPage, 0, kPage, low, page(97)).value(), page(94));
    EXPECT_EQ(t.map.find_free(kPage, 0, kPage, low, page(60)).value(), page(49));
    // A region straddling `lowest`: the gap above it only.
    EXPECT_EQ(t.map.find_free(10 * kPage, 0, kPage, page(60), high).value(), page(80));
    EXPECT_EQ(t.map.find_free(11 * kPage, 0, kPage, page(60), high).error(), k::Errno::enomem);
    EXPECT_EQ(t.map.find_free(kPage, 0, kPage, page(96), page(99)).error(), k::Errno::enomem);
    t.insert(page(0), page(50));
    EXPECT_EQ(t.map.find_free(kPage, 0, kPage, low, page(93)).value(), page(89));
    t.expect_consistent();
}

TEST(RegionMap, FindFreeUsesAHintThatFits) {
    TestMap t;
    const uint64_t low = page(0), high = page(100);
    t.insert(page(40), page(60));
    EXPECT_EQ(t.map.find_free(5 * kPage, page(10), kPage, low, high).value(), page(10));
    EXPECT_EQ(t.map.find_free(5 * kPage, page(35), kPage, low, high).value(), page(35));  // ends at the region
    EXPECT_EQ(t.map.find_free(5 * kPage, page(60), kPage, low, high).value(), page(60));  // starts at its end
    EXPECT_EQ(t.map.find_free(5 * kPage, page(95), kPage, low, high).value(), page(95));  // ends at `highest`
    // Hints that do not fit fall back to the top-down search.
    EXPECT_EQ(t.map.find_free(5 * kPage, page(36), kPage, low, high).value(), page(95));   // overlaps
    EXPECT_EQ(t.map.find_free(5 * kPage, page(50), kPage, low, high).value(), page(95));   // inside
    EXPECT_EQ(t.map.find_free(5 * kPage, page(96), kPage, low, high).value(), page(95));   // beyond `highest`
    EXPECT_EQ(t.map.find_free(5 * kPage, page(10) + 1, kPage, low, high).value(), page(95));  // unaligned
    EXPECT_EQ(t.map.find_free(5 * kPage, page(10), kPage, page(20), high).value(), page(95));  // below `lowest`
    EXPECT_EQ(t.map.find_free(kPage, kPage, kPage, 0, high).value(), page(99));  // below mmap_min_addr
    // A hint near the top of the address space must not overflow.
    EXPECT_EQ(t.map.find_free(2 * kPage, UINT64_MAX & ~(kPage - 1), kPage, low, high).value(), page(98));
    EXPECT_EQ(t.map.find_free(2 * kPage, kUserTop - kPage, kPage, 0, UINT64_MAX).value(), kUserTop - 2 * kPage);
    t.expect_consistent();
}

TEST(RegionMap, FindFreeRespectsAlignment) {
    TestMap t;
    // A free window [kBase, kBase + 8 MiB) with a region in its upper half.
    const uint64_t low = kBase, high = kBase + 4 * k2M;
    t.insert(kBase + 3 * k2M + kPage, kBase + 4 * k2M);
    t.insert(kBase + k2M - kPage, kBase + k2M);
    // 4 KiB: right under the upper region.
    EXPECT_EQ(t.map.find_free(kPage, 0, kPage, low, high).value(), kBase + 3 * k2M);
    // 2 MiB aligned: the highest 2M-aligned start with 2 MiB free after it.
    EXPECT_EQ(t.map.find_free(k2M, 0, k2M, low, high).value(), kBase + 2 * k2M);
    EXPECT_EQ(t.map.find_free(kPage, 0, k2M, low, high).value(), kBase + 3 * k2M);
    EXPECT_EQ(t.map.find_free(2 * k2M, 0, k2M, low, high).value(), kBase + k2M);
    EXPECT_EQ(t.map.find_free(3 * k2M, 0, k2M, low, high).error(), k::Errno::enomem);
    // A hint must have the requested alignment to be taken.
    EXPECT_EQ(t.map.find_free(k2M, kBase + k2M, k2M, low, high).value(), kBase + k2M);
    EXPECT_EQ(t.map.find_free(k2M, kBase + k2M + kPage, k2M, low, high).value(), kBase + 2 * k2M);
    // 1 GiB.
    // 1 GiB: [1G, 2G) holds the regions above and [0, 1G) begins below
    // mmap_min_addr, so below 2G nothing fits.
    EXPECT_EQ(t.map.find_free(k1G, 0, k1G, 0, 4 * k1G).value(), 3 * k1G);
    EXPECT_EQ(t.map.find_free(k1G, 0, k1G, 2 * k1G, 4 * k1G - kPage).value(), 2 * k1G);
    EXPECT_EQ(t.map.find_free(k1G, 0, k1G, 0, 2 * k1G).error(), k::Errno::enomem);
    EXPECT_EQ(t.map.find_free(kPage, 0, k1G, kBase, kBase + 2 * k1G).value(), kBase + k1G);
    t.expect_consistent();
}

TEST(RegionMap, FindFreeRejectsBadArguments) {
    TestMap t;
    EXPECT_EQ(t.map.find_free(0, 0, kPage, 0, UINT64_MAX).error(), k::Errno::einval);
    EXPECT_EQ(t.map.find_free(kPage + 1, 0, kPage, 0, UINT64_MAX).error(), k::Errno::einval);
    EXPECT_EQ(t.map.find_free(kPage, 0, 0, 0, UINT64_MAX).error(), k::Errno::einval);
    EXPECT_EQ(t.map.find_free(kPage, 0, 3 * kPage, 0, UINT64_MAX).error(), k::Errno::einval);
    EXPECT_EQ(t.map.find_free(kPage, 0, 512, 0, UINT64_MAX).error(), k::Errno::einval);
    EXPECT_EQ(t.map.find_free(UINT64_MAX & ~(kPage - 1), 0, kPage, 0, UINT64_MAX).error(), k::Errno::enomem);
    EXPECT_EQ(t.map.find_free(kPage, 0, kPage, page(10), page(10)).error(), k::Errno::enomem);
    EXPECT_EQ(t.map.find_free(kPage, 0, kPage, page(10), page(5)).error(), k::Errno::enomem);
}

// ---- clone_into (fork) ---------------------------------------------------------

TEST(RegionMap, CloneCopiesAllButDontFork) {
    TestMap parent;
    parent.insert(page(0), page(4), kProtRead | kProtExec, 0, kFileA, 0);
    parent.insert(page(10), page(12), kRW, kRegionAnonymous | kRegionDontFork);
    parent.insert(page(20), page(30), kRW, kRegionShared, kFileB, 0x7000);
    parent.insert(page(40), page(41), kRW, kRegionAnonymous | kRegionGrowsDown);
    const Snapshot parent_before = snapshot(parent.map);

    TestMap child;
    ASSERT_TRUE(parent.map.clone_into(child.map, RegionMap::inherited_by_fork).ok());
    EXPECT_EQ(snapshot(parent.map), parent_before);
    Snapshot expected = parent_before;
    expected.erase(expected.begin() + 1);  // the DONTFORK region stays behind
    EXPECT_EQ(snapshot(child.map), expected);
    EXPECT_EQ(child.observer.clones, 3);
    EXPECT_EQ(parent.observer.clone_calls, 0);  // the child's observer gets the hook
    EXPECT_EQ(child.map.total_bytes(), 15 * kPage);
    EXPECT_EQ(child.allocator.live, 3);
    // The copies are separate objects: changing the child leaves the parent alone.
    ASSERT_TRUE(child.map.remove_range(page(22), page(24)).ok());
    EXPECT_EQ(snapshot(parent.map), parent_before);
    child.expect_consistent();
    parent.expect_consistent();
}

TEST(RegionMap, CloneWithAnyPredicate) {
    TestMap parent;
    for (uint64_t i = 0; i < 10; ++i) parent.insert(page(2 * i), page(2 * i + 1), i % 2 ? kProtRead : kRW);
    TestMap child;
    ASSERT_TRUE(parent.map.clone_into(child.map, [](const Region& r) { return r.prot == kProtRead; }).ok());
    EXPECT_EQ(child.map.count(), 5u);
    child.map.for_each([](const Region& r) { EXPECT_EQ(r.prot, kProtRead); });
    TestMap nothing;
    ASSERT_TRUE(parent.map.clone_into(nothing.map, [](const Region&) { return false; }).ok());
    EXPECT_TRUE(nothing.map.empty());
}

TEST(RegionMap, CloneFailureLeavesTheChildEmpty) {
    TestMap parent;
    for (uint64_t i = 0; i < 5; ++i) parent.insert(page(3 * i), page(3 * i + 2), kRW, 0, kFileA, page(i));
    const Snapshot parent_before = snapshot(parent.map);

    for (long budget = 0; budget < 5; ++budget) {
        // The allocator runs out after `budget` regions.
        TestMap child;
        child.allocator.budget = budget;
        k::Result<void> r = parent.map.clone_into(child.map, RegionMap::inherited_by_fork);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error(), k::Errno::enomem);
        EXPECT_TRUE(child.map.empty());
        EXPECT_EQ(child.map.total_bytes(), 0u);
        EXPECT_EQ(child.observer.clones, budget);
        EXPECT_EQ(child.observer.removes, budget);  // what was cloned is torn down again
        EXPECT_EQ(child.observer.refs[kFileA], 0);
        EXPECT_EQ(child.allocator.live, 0);
        EXPECT_EQ(snapshot(parent.map), parent_before);

        // on_clone itself fails (say, no memory for page tables).
        TestMap child2;
        child2.observer.clone_budget = budget;
        r = parent.map.clone_into(child2.map, RegionMap::inherited_by_fork);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error(), k::Errno::enomem);
        EXPECT_TRUE(child2.map.empty());
        EXPECT_EQ(child2.observer.clones, budget);
        EXPECT_EQ(child2.observer.clone_calls, budget + 1);
        EXPECT_EQ(child2.observer.removes, budget);  // not for the region whose on_clone failed
        EXPECT_EQ(child2.observer.refs[kFileA], 0);
        EXPECT_EQ(child2.allocator.live, 0);

        // The child map is usable afterwards: the clone can be retried.
        child2.observer.clone_budget = -1;
        ASSERT_TRUE(parent.map.clone_into(child2.map, RegionMap::inherited_by_fork).ok());
        EXPECT_EQ(snapshot(child2.map), parent_before);
    }
}

TEST(RegionMap, ClearRemovesEverything) {
    TestMap t;
    t.insert(page(0), page(1));
    t.insert(page(5), page(9), kRW, 0, kFileA, 0);
    t.insert(page(20), page(30));
    t.map.clear();
    EXPECT_TRUE(t.map.empty());
    EXPECT_EQ(t.map.total_bytes(), 0u);
    EXPECT_EQ(t.observer.removes, 3);
    EXPECT_EQ(t.observer.removed, (std::vector<Range>{{page(0), page(1)}, {page(5), page(9)}, {page(20), page(30)}}));
    EXPECT_EQ(t.allocator.live, 0);
    t.map.clear();  // twice is fine
    EXPECT_EQ(t.observer.removes, 3);
}

TEST(RegionMap, WorksWithoutObserverAndDestructorClears) {
    TestAllocator allocator;
    {
        RegionMap map(allocator);
        ASSERT_TRUE(map.insert(page(0), page(10), kRW, 0, kFileA, 0).ok());
        ASSERT_TRUE(map.remove_range(page(3), page(4)).ok());
        ASSERT_TRUE(map.protect_range(page(5), page(6), kProtRead).ok());
        ASSERT_TRUE(map.protect_range(page(5), page(6), kRW).ok());
        ASSERT_TRUE(map.set_flag_range(page(0), page(1), kRegionDontFork, true).ok());
        RegionMap child(allocator);
        ASSERT_TRUE(map.clone_into(child, RegionMap::inherited_by_fork).ok());
        EXPECT_EQ(child.count(), 2u);
        EXPECT_EQ(map.count(), 3u);
        EXPECT_TRUE(map.check_invariants());
        EXPECT_EQ(allocator.live, 5);
    }
    EXPECT_EQ(allocator.live, 0);  // both destructors cleared
}

// ---- Randomized: against a page-by-page model ----------------------------------

// The model: one entry per page of a window of kPages pages. Random
// operations go to both; after each, every page of the map must agree with
// the model (mapped or not, prot, flags, object and the object offset of that
// very page), the map's invariants must hold, the observer must have seen
// exactly the unmapped pages go, and reference counts must balance. Some
// operations run with an allocator that fails early: they must either
// succeed completely or change nothing.
struct PageModel {
    bool mapped = false;
    uint32_t prot = 0;
    uint32_t flags = 0;
    void* object = nullptr;
    uint64_t offset = 0;
    bool operator==(const PageModel&) const = default;
};

TEST(RegionMap, RandomOperationsMatchPageModel) {
    constexpr uint64_t kPages = 192;
    constexpr int kSteps = 6000;
    std::mt19937_64 random(20240601);
    auto below = [&](uint64_t n) { return random() % n; };
    void* const objects[] = {nullptr, &g_objects[0], &g_objects[1], &g_objects[2]};
    const uint32_t flag_choices[] = {0, kRegionAnonymous, kRegionShared, kRegionAnonymous | kRegionDontFork,
                                     kRegionShared | mm::kRegionNoReserve};

    TestMap t;
    std::vector<PageModel> model(kPages);
    int allocation_failures_seen = 0;
    int merges_seen = 0;

    for (int step = 0; step < kSteps; ++step) {
        const int op = static_cast<int>(below(10));
        uint64_t first = below(kPages);
        if (op < 3 && below(2) == 0) {
            // Often insert right after a mapped page, so that regions touch.
            for (uint64_t scan = 0; scan < kPages; ++scan, first = (first + 1) % kPages) {
                if (first > 0 && model[first - 1].mapped && !model[first].mapped) break;
            }
        }
        uint64_t length = 1 + below(k::min<uint64_t>(24, kPages - first));
        if (op < 3 && below(2) == 0) {
            // ...and often fill the gap exactly up to the next region.
            uint64_t gap = 0;
            while (first + gap < kPages && !model[first + gap].mapped) ++gap;
            if (gap > 0) length = gap;
        }
        const uint64_t start = page(first), end = page(first + length);
        const bool starved = below(8) == 0;
        if (starved) t.allocator.budget = static_cast<long>(below(2));
        t.observer.removed.clear();
        std::vector<PageModel> before = model;

        if (op < 3) {  // insert
            uint32_t prot = static_cast<uint32_t>(below(8));
            uint32_t flags = flag_choices[below(5)];
            void* object = objects[below(4)];
            uint64_t offset = below(64) * kPage;
            if (below(2) == 0 && first > 0 && model[first - 1].mapped) {
                // Right after a region and alike, so that protect and
                // madvise find neighbours to merge (or, when the offset is
                // not the continuation, neighbours they must not merge).
                const PageModel& left = model[first - 1];
                prot = left.prot;
                flags = left.flags;
                object = left.object;
                offset = below(2) == 0 ? left.offset + kPage : below(64) * kPage;
            }
            bool overlap = false;
            for (uint64_t p = first; p < first + length; ++p) overlap |= model[p].mapped;
            k::Result<Region*> r = t.map.insert(start, end, prot, flags, object, offset);
            if (overlap) {
                ASSERT_EQ(r.error(), k::Errno::eexist) << "step " << step;
            } else if (!r.ok()) {
                ASSERT_TRUE(starved) << "step " << step;
                ASSERT_EQ(r.error(), k::Errno::enomem);
                ++allocation_failures_seen;
            } else {
                ++t.observer.refs[object];
                for (uint64_t p = first; p < first + length; ++p)
                    model[p] = {true, prot, flags, object, offset + (p - first) * kPage};
            }
        } else if (op < 5) {  // remove
            k::Result<void> r = t.map.remove_range(start, end);
            if (!r.ok()) {
                ASSERT_TRUE(starved) << "step " << step;
                ASSERT_EQ(r.error(), k::Errno::enomem);
                ++allocation_failures_seen;
            } else {
                // The observer saw exactly the mapped pages of the range go.
                std::vector<bool> gone(kPages, false);
                for (const Range& range : t.observer.removed) {
                    ASSERT_GE(range.start, start);
                    ASSERT_LE(range.end, end);
                    for (uint64_t a = range.start; a < range.end; a += kPage) {
                        const uint64_t p = (a - kBase) / kPage;
                        ASSERT_FALSE(gone[p]) << "page removed twice";
                        gone[p] = true;
                    }
                }
                for (uint64_t p = first; p < first + length; ++p) {
                    ASSERT_EQ(gone[p], model[p].mapped) << "step " << step << " page " << p;
                    model[p] = PageModel{};
                }
            }
        } else if (op < 9) {  // protect or madvise
            const bool protect = op < 8;
            const uint32_t prot = static_cast<uint32_t>(below(8));
            const bool on = below(2) == 0;
            bool hole = false;
            for (uint64_t p = first; p < first + length; ++p) hole |= !model[p].mapped;
            const int merges_before = t.observer.merges;
            k::Result<void> r = protect ? t.map.protect_range(start, end, prot)
                                        : t.map.set_flag_range(start, end, kRegionDontFork, on);
            if (hole) {
                ASSERT_EQ(r.error(), k::Errno::enomem) << "step " << step;
            } else if (!r.ok()) {
                ASSERT_TRUE(starved) << "step " << step;
                ASSERT_EQ(r.error(), k::Errno::enomem);
                ++allocation_failures_seen;
            } else {
                for (uint64_t p = first; p < first + length; ++p) {
                    if (protect)
                        model[p].prot = prot;
                    else if (on)
                        model[p].flags |= kRegionDontFork;
                    else
                        model[p].flags &= ~kRegionDontFork;
                }
            }
            merges_seen += t.observer.merges - merges_before;
        } else {  // find_free, checked against a brute-force search of the model
            const uint64_t want = 1 + below(12);
            const uint64_t alignment = kPage << below(4);
            const uint64_t hint = below(3) == 0 ? 0 : page(below(kPages));
            auto fits = [&](uint64_t p) {
                if (!k::is_aligned(page(p), alignment) || p + want > kPages) return false;
                for (uint64_t q = p; q < p + want; ++q)
                    if (model[q].mapped) return false;
                return true;
            };
            std::optional<uint64_t> expected;
            if (hint != 0 && fits((hint - kBase) / kPage)) {
                expected = hint;
            } else {
                for (uint64_t p = kPages; p-- > 0;) {
                    if (fits(p)) {
                        expected = page(p);
                        break;
                    }
                }
            }
            k::Result<uint64_t> r = t.map.find_free(want * kPage, hint, alignment, page(0), page(kPages));
            if (expected) {
                ASSERT_TRUE(r.ok()) << "step " << step;
                ASSERT_EQ(r.value(), *expected) << "step " << step;
            } else {
                ASSERT_EQ(r.error(), k::Errno::enomem) << "step " << step;
            }
        }
        t.allocator.budget = -1;

        // Compare everything.
        uint64_t mapped_pages = 0;
        for (uint64_t p = 0; p < kPages; ++p) {
            const Region* region = t.map.find(page(p));
            PageModel seen;
            if (region) seen = {true, region->prot, region->flags, region->object, region->offset_of(page(p))};
            ASSERT_EQ(seen, model[p]) << "step " << step << " op " << op << " page " << p;
            mapped_pages += model[p].mapped;
        }
        ASSERT_EQ(t.map.total_bytes(), mapped_pages * kPage);
        ASSERT_TRUE(t.map.check_invariants()) << "step " << step;
        ASSERT_NO_FATAL_FAILURE(t.expect_consistent());
        ASSERT_LE(t.map.count(), kPages);
        if (!t.observer.removed.empty()) {
            ASSERT_NE(model, before);
        }
    }
    // The run really went through the interesting paths.
    EXPECT_GT(allocation_failures_seen, 10);
    EXPECT_GT(merges_seen, 10);
    EXPECT_GT(t.observer.splits, 100);
    EXPECT_GT(t.map.count(), 3u);
}

}  // namespace
