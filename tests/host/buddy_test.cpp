#include "kernel/mm/buddy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <utility>
#include <vector>

namespace {

using mm::BuddyAllocator;
using mm::Page;
using mm::PageFlag;

constexpr unsigned kMaxOrder = BuddyAllocator::kMaxOrder;

// A buddy allocator with its own descriptor array. The descriptors are left
// uninitialised (new Page[] would construct them; init() must do it itself).
struct TestBuddy {
    TestBuddy(uint64_t first_pfn, uint64_t count)
        : storage(new unsigned char[count * sizeof(Page)]), pages(reinterpret_cast<Page*>(storage.get())) {
        std::fill(storage.get(), storage.get() + count * sizeof(Page), static_cast<unsigned char>(0xa5));
        buddy.init(pages, first_pfn, count);
    }
    std::unique_ptr<unsigned char[]> storage;
    Page* pages;
    BuddyAllocator buddy;
};

std::vector<size_t> free_blocks_by_order(const BuddyAllocator& buddy) {
    std::vector<size_t> counts;
    for (unsigned order = 0; order <= kMaxOrder; ++order) counts.push_back(buddy.free_blocks(order));
    return counts;
}

uint64_t frames(unsigned order) { return uint64_t{1} << order; }

TEST(BuddyAllocator, PageDescriptorIsSmall) {
    EXPECT_LE(sizeof(Page), 48u);
    EXPECT_EQ(mm::kPageSize, 4096u);
    EXPECT_EQ(mm::pfn_to_phys(3), 3u * 4096u);
    EXPECT_EQ(mm::phys_to_pfn(0x5fff), 5u);
}

TEST(BuddyAllocator, EverythingStartsReserved) {
    TestBuddy t(100, 64);
    EXPECT_EQ(t.buddy.free_page_count(), 0u);
    EXPECT_EQ(t.buddy.allocate(0), nullptr);
    for (uint64_t pfn = 100; pfn < 164; ++pfn) {
        Page* page = t.buddy.page_of(pfn);
        EXPECT_TRUE(page->is_only(PageFlag::Reserved));
        EXPECT_FALSE(page->node.is_linked());
        EXPECT_EQ(page->refcount, 0u);
        EXPECT_EQ(page->mapcount, 0u);
        EXPECT_EQ(t.buddy.pfn_of(page), pfn);
    }
    EXPECT_FALSE(t.buddy.manages(99));
    EXPECT_FALSE(t.buddy.manages(164));
    EXPECT_TRUE(t.buddy.manages(163));
}

TEST(BuddyAllocator, RangeIsCutIntoMaximalAlignedBlocks) {
    TestBuddy t(0, 32);
    // [5, 21) = 5 | 6-7 | 8-15 | 16-19 | 20
    t.buddy.add_free_range(5, 16);
    EXPECT_EQ(t.buddy.free_page_count(), 16u);
    EXPECT_EQ(t.buddy.free_blocks(0), 2u);
    EXPECT_EQ(t.buddy.free_blocks(1), 1u);
    EXPECT_EQ(t.buddy.free_blocks(2), 1u);
    EXPECT_EQ(t.buddy.free_blocks(3), 1u);
    EXPECT_EQ(t.buddy.free_blocks(4), 0u);
    EXPECT_TRUE(t.buddy.page_of(8)->has(PageFlag::Free));
    EXPECT_EQ(t.buddy.page_of(8)->order, 3u);
    EXPECT_EQ(t.buddy.merge_count(), 0u);  // nothing was free next to it
}

TEST(BuddyAllocator, AdjacentRangesAddedSeparatelyMerge) {
    TestBuddy t(0, 8);
    t.buddy.add_free_range(0, 3);
    t.buddy.add_free_range(3, 5);
    EXPECT_EQ(t.buddy.free_blocks(3), 1u);
    EXPECT_EQ(t.buddy.free_blocks(0) + t.buddy.free_blocks(1) + t.buddy.free_blocks(2), 0u);
    EXPECT_EQ(t.buddy.allocate(3), t.buddy.page_of(0));
}

TEST(BuddyAllocator, SplitAndMergeCounts) {
    TestBuddy t(16, 16);
    t.buddy.add_free_range(16, 16);
    ASSERT_EQ(t.buddy.free_blocks(4), 1u);

    Page* page = t.buddy.allocate(0);
    ASSERT_NE(page, nullptr);
    EXPECT_EQ(t.buddy.pfn_of(page), 16u);  // the lower half is kept at each split
    EXPECT_EQ(t.buddy.split_count(), 4u);  // 16 -> 8 -> 4 -> 2 -> 1
    for (unsigned order = 0; order < 4; ++order) EXPECT_EQ(t.buddy.free_blocks(order), 1u) << order;
    EXPECT_EQ(t.buddy.free_blocks(4), 0u);
    EXPECT_EQ(t.buddy.free_page_count(), 15u);
    // The upper halves are free blocks at 17 (0), 18 (1), 20 (2), 24 (3).
    EXPECT_EQ(t.buddy.page_of(17)->order, 0u);
    EXPECT_EQ(t.buddy.page_of(18)->order, 1u);
    EXPECT_EQ(t.buddy.page_of(20)->order, 2u);
    EXPECT_EQ(t.buddy.page_of(24)->order, 3u);

    // A second order-0 allocation is served from the split without new splits.
    Page* second = t.buddy.allocate(0);
    EXPECT_EQ(t.buddy.pfn_of(second), 17u);
    EXPECT_EQ(t.buddy.split_count(), 4u);

    t.buddy.free(second, 0);
    EXPECT_EQ(t.buddy.merge_count(), 0u);  // its buddy (16) is allocated
    t.buddy.free(page, 0);
    EXPECT_EQ(t.buddy.merge_count(), 4u);  // 1+1, 2+2, 4+4, 8+8
    EXPECT_EQ(t.buddy.free_blocks(4), 1u);
    for (unsigned order = 0; order < 4; ++order) EXPECT_EQ(t.buddy.free_blocks(order), 0u) << order;
    EXPECT_EQ(t.buddy.free_page_count(), 16u);
}

TEST(BuddyAllocator, AllocatedHeadIsMarked) {
    TestBuddy t(0, 16);
    t.buddy.add_free_range(0, 16);
    Page* head = t.buddy.allocate(2);
    ASSERT_NE(head, nullptr);
    EXPECT_TRUE(head->is_only(PageFlag::Head));
    EXPECT_EQ(head->order, 2u);
    EXPECT_EQ(head->refcount, 1u);
    EXPECT_EQ(head->mapcount, 0u);
    EXPECT_FALSE(head->node.is_linked());
    t.buddy.free(head, 2);
    EXPECT_FALSE(t.buddy.page_of(t.buddy.pfn_of(head))->has(PageFlag::Head));
}

TEST(BuddyAllocator, OrderTooLargeOrNothingFreeGivesNull) {
    TestBuddy t(0, 8);
    EXPECT_EQ(t.buddy.allocate(0), nullptr);
    t.buddy.add_free_range(0, 8);
    EXPECT_EQ(t.buddy.allocate(4), nullptr);
    EXPECT_EQ(t.buddy.allocate(kMaxOrder + 1), nullptr);
    EXPECT_EQ(t.buddy.allocate(~0u), nullptr);
    EXPECT_EQ(t.buddy.free_page_count(), 8u);
    Page* all = t.buddy.allocate(3);
    ASSERT_NE(all, nullptr);
    EXPECT_EQ(t.buddy.allocate(0), nullptr);
    t.buddy.free(all, 3);
}

TEST(BuddyAllocator, BlocksNeverCrossTheEdgesOfTheManagedRange) {
    // Frames 3..7: the buddy of frame 3 at order 0 is frame 2, outside.
    TestBuddy low(3, 5);
    low.buddy.add_free_range(3, 5);
    EXPECT_EQ(low.buddy.free_blocks(0), 1u);
    EXPECT_EQ(low.buddy.free_blocks(2), 1u);
    Page* three = low.buddy.allocate(0);
    EXPECT_EQ(low.buddy.pfn_of(three), 3u);
    low.buddy.free(three, 0);
    EXPECT_EQ(low.buddy.free_blocks(0), 1u);
    EXPECT_EQ(low.buddy.free_blocks(3), 0u);

    // Frames 0..11: 8..11 (order 2) has its buddy 12..15 outside the range.
    TestBuddy high(0, 12);
    high.buddy.add_free_range(0, 12);
    EXPECT_EQ(high.buddy.free_blocks(3), 1u);
    EXPECT_EQ(high.buddy.free_blocks(2), 1u);
    EXPECT_EQ(high.buddy.free_blocks(4), 0u);
}

TEST(BuddyAllocator, HolesAreNeverHandedOut) {
    TestBuddy t(0, 16);
    t.buddy.add_free_range(0, 4);
    t.buddy.add_free_range(8, 8);
    EXPECT_EQ(t.buddy.free_blocks(2), 1u);
    EXPECT_EQ(t.buddy.free_blocks(3), 1u);
    // 12 frames free, but no 8 contiguous beside 8..15, and never 16.
    EXPECT_EQ(t.buddy.allocate(4), nullptr);
    Page* eight = t.buddy.allocate(3);
    ASSERT_NE(eight, nullptr);
    EXPECT_EQ(t.buddy.pfn_of(eight), 8u);
    EXPECT_EQ(t.buddy.allocate(3), nullptr);
    t.buddy.free(eight, 3);

    std::vector<uint64_t> handed_out;
    while (Page* page = t.buddy.allocate(0)) handed_out.push_back(t.buddy.pfn_of(page));
    std::sort(handed_out.begin(), handed_out.end());
    EXPECT_EQ(handed_out, (std::vector<uint64_t>{0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15}));
    for (uint64_t pfn = 4; pfn < 8; ++pfn) EXPECT_TRUE(t.buddy.page_of(pfn)->is_only(PageFlag::Reserved));
    for (uint64_t pfn : handed_out) t.buddy.free(t.buddy.page_of(pfn), 0);
    EXPECT_EQ(t.buddy.free_blocks(2), 1u);
    EXPECT_EQ(t.buddy.free_blocks(3), 1u);
}

// Allocates blocks of random orders until not even one frame is left, checks
// every block, frees them all in random order and checks that the allocator
// is back in its fully merged starting state.
void exhaust_and_restore(BuddyAllocator& buddy, const std::vector<std::pair<uint64_t, uint64_t>>& ranges,
                         unsigned max_order, uint32_t seed) {
    auto in_ranges = [&](uint64_t pfn) {
        for (auto [start, count] : ranges)
            if (pfn >= start && pfn < start + count) return true;
        return false;
    };
    const uint64_t usable = buddy.free_page_count();
    const std::vector<size_t> merged_state = free_blocks_by_order(buddy);
    std::vector<bool> taken(buddy.page_count(), false);
    std::vector<std::pair<Page*, unsigned>> blocks;

    std::mt19937 random(seed);
    unsigned order = max_order;
    while (true) {
        order = std::uniform_int_distribution<unsigned>(0, max_order)(random);
        Page* head = buddy.allocate(order);
        while (head == nullptr && order > 0) head = buddy.allocate(--order);
        if (head == nullptr) break;
        uint64_t pfn = buddy.pfn_of(head);
        ASSERT_EQ(pfn % frames(order), 0u) << "block of order " << order << " at " << pfn << " is misaligned";
        for (uint64_t f = pfn; f < pfn + frames(order); ++f) {
            ASSERT_TRUE(in_ranges(f)) << "frame " << f << " was never added";
            ASSERT_FALSE(taken[f - buddy.first_pfn()]) << "frame " << f << " handed out twice";
            taken[f - buddy.first_pfn()] = true;
        }
        blocks.emplace_back(head, order);
    }
    EXPECT_EQ(buddy.free_page_count(), 0u);
    EXPECT_EQ(std::count(taken.begin(), taken.end(), true), static_cast<long>(usable));

    std::shuffle(blocks.begin(), blocks.end(), random);
    for (auto [head, block_order] : blocks) buddy.free(head, block_order);
    EXPECT_EQ(buddy.free_page_count(), usable);
    EXPECT_EQ(free_blocks_by_order(buddy), merged_state);
}

TEST(BuddyAllocator, ExhaustAndFreeInRandomOrderWithHoles) {
    // An unaligned managed range with unaligned usable ranges and holes.
    TestBuddy t(1000, 3000);
    std::vector<std::pair<uint64_t, uint64_t>> ranges = {{1003, 497}, {1600, 1399}, {3100, 899}};
    for (auto [start, count] : ranges) t.buddy.add_free_range(start, count);
    EXPECT_EQ(t.buddy.usable_page_count(), 497u + 1399u + 899u);
    for (uint32_t seed = 1; seed <= 5; ++seed) exhaust_and_restore(t.buddy, ranges, 6, seed);
    EXPECT_GT(t.buddy.split_count(), 0u);
    EXPECT_EQ(t.buddy.split_count(), t.buddy.merge_count());  // every split was undone
}

TEST(BuddyAllocator, MaxOrderBlocksCoalesceAgain) {
    // Two 1 GiB blocks worth of frames, aligned: exactly two order-18 blocks,
    // which never merge into an order-19 block.
    const uint64_t first = frames(kMaxOrder);
    TestBuddy t(first, 2 * frames(kMaxOrder));
    t.buddy.add_free_range(first, 2 * frames(kMaxOrder));
    ASSERT_EQ(t.buddy.free_blocks(kMaxOrder), 2u);

    // 2 MiB blocks (order 9), random orders 9..12, then everything back.
    std::vector<std::pair<Page*, unsigned>> blocks;
    std::mt19937 random(42);
    while (true) {
        unsigned order = std::uniform_int_distribution<unsigned>(9, 12)(random);
        Page* head = t.buddy.allocate(order);
        if (!head) head = t.buddy.allocate(order = 9);
        if (!head) break;
        ASSERT_EQ(t.buddy.pfn_of(head) % frames(order), 0u);
        blocks.emplace_back(head, order);
    }
    EXPECT_EQ(t.buddy.free_page_count(), 0u);
    EXPECT_EQ(t.buddy.free_blocks(kMaxOrder), 0u);
    std::shuffle(blocks.begin(), blocks.end(), random);
    for (auto [head, order] : blocks) t.buddy.free(head, order);
    EXPECT_EQ(t.buddy.free_blocks(kMaxOrder), 2u);
    EXPECT_EQ(t.buddy.free_page_count(), 2 * frames(kMaxOrder));
    for (unsigned order = 0; order < kMaxOrder; ++order) EXPECT_EQ(t.buddy.free_blocks(order), 0u) << order;

    // And a whole 1 GiB block can be allocated, aligned to 1 GiB.
    Page* gib = t.buddy.allocate(kMaxOrder);
    ASSERT_NE(gib, nullptr);
    EXPECT_EQ(mm::pfn_to_phys(t.buddy.pfn_of(gib)) % (uint64_t{1} << 30), 0u);
    t.buddy.free(gib, kMaxOrder);
}

TEST(BuddyAllocator, ExhaustSingleFramesOverALargeRange) {
    TestBuddy t(5, 70000);
    std::vector<std::pair<uint64_t, uint64_t>> ranges = {{5, 70000}};
    t.buddy.add_free_range(5, 70000);
    exhaust_and_restore(t.buddy, ranges, 0, 7);
}

class BuddyAllocatorDeathTest : public ::testing::Test {
protected:
    BuddyAllocatorDeathTest() : t(0, 64) { t.buddy.add_free_range(0, 64); }
    TestBuddy t;
};

TEST_F(BuddyAllocatorDeathTest, DoubleFreeDies) {
    Page* page = t.buddy.allocate(1);
    t.buddy.free(page, 1);
    EXPECT_DEATH(t.buddy.free(page, 1), "double free");
}

TEST_F(BuddyAllocatorDeathTest, DoubleFreeAfterMergingDies) {
    Page* low = t.buddy.allocate(0);
    Page* high = t.buddy.allocate(0);
    ASSERT_EQ(t.buddy.pfn_of(high), t.buddy.pfn_of(low) + 1);
    t.buddy.free(low, 0);
    t.buddy.free(high, 0);  // merges: `high` is now a tail frame of a larger free block
    EXPECT_DEATH(t.buddy.free(high, 0), "double free");
}

TEST_F(BuddyAllocatorDeathTest, WrongOrderDies) {
    Page* page = t.buddy.allocate(2);
    EXPECT_DEATH(t.buddy.free(page, 1), "another order");
    EXPECT_DEATH(t.buddy.free(page, 3), "another order");
    t.buddy.free(page, 2);
}

TEST_F(BuddyAllocatorDeathTest, FreeingAFrameInsideABlockDies) {
    Page* head = t.buddy.allocate(2);
    Page* inside = t.buddy.page_of(t.buddy.pfn_of(head) + 1);
    EXPECT_DEATH(t.buddy.free(inside, 0), "not allocated");
    t.buddy.free(head, 2);
}

TEST_F(BuddyAllocatorDeathTest, FreeingASlabMarkedBlockDies) {
    Page* head = t.buddy.allocate(0);
    head->set(PageFlag::Slab);
    EXPECT_DEATH(t.buddy.free(head, 0), "still marked");
    head->clear(PageFlag::Slab);
    t.buddy.free(head, 0);
}

TEST_F(BuddyAllocatorDeathTest, ForeignDescriptorDies) {
    Page stray{};
    EXPECT_DEATH(t.buddy.free(&stray, 0), "not a descriptor");
}

TEST(BuddyAllocatorAddDeathTest, AddingARangeTwiceDies) {
    TestBuddy t(0, 16);
    t.buddy.add_free_range(0, 8);
    EXPECT_DEATH(t.buddy.add_free_range(4, 8), "twice");
}

TEST(BuddyAllocatorAddDeathTest, AddingOutsideTheManagedRangeDies) {
    TestBuddy t(10, 16);
    EXPECT_DEATH(t.buddy.add_free_range(8, 4), "manages");
    EXPECT_DEATH(t.buddy.add_free_range(20, 7), "manages");
}

}  // namespace
