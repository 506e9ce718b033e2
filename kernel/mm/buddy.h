#pragma once
// Buddy allocator for physical page frames.
//
// Memory is handed out in blocks of 2^order contiguous frames, each block
// naturally aligned (a block of order n starts at a pfn that is a multiple of
// 2^n), from order 0 (one 4 KiB frame) to kMaxOrder (2^18 frames = 1 GiB, the
// largest x86-64 page, so a 1 GiB huge page is one allocation). One free list
// per order. An allocation that finds no block of its order splits a larger
// one in halves ("buddies") until it has the size it wants; a freed block
// merges with its buddy if the buddy is free too, and again one order up,
// which undoes the splitting and keeps large blocks available.
//
// All bookkeeping lives in the Page descriptors (free-list links, order,
// flags): the allocator never reads or writes the frames themselves, which may
// not be mapped. Every operation is O(kMaxOrder). There is no lock here: the
// kernel wraps the allocator in one.
#include <stddef.h>
#include <stdint.h>

#include "kernel/mm/page.h"
#include "libk/list.h"

namespace mm {

class BuddyAllocator {
public:
    static constexpr unsigned kMaxOrder = 18;
    static constexpr unsigned kOrderCount = kMaxOrder + 1;

    constexpr BuddyAllocator() = default;
    BuddyAllocator(const BuddyAllocator&) = delete;
    BuddyAllocator& operator=(const BuddyAllocator&) = delete;

    // Manages frames [first_pfn, first_pfn + count), described by pages[0..count).
    // Every frame starts Reserved (not allocatable); call once.
    void init(Page* pages, uint64_t first_pfn, uint64_t count);

    // Makes frames [pfn, pfn + count) allocatable. They must be inside the
    // managed range and still Reserved (adding a frame twice is a bug).
    // Ranges may leave holes between them; frames in holes are never returned.
    void add_free_range(uint64_t pfn, uint64_t count);

    // A block of 2^order frames aligned to its size, as its head descriptor,
    // or nullptr when no such block is free (or order > kMaxOrder). The head
    // comes back with flag Head, refcount 1 (the caller's reference) and
    // mapcount 0.
    [[nodiscard]] Page* allocate(unsigned order);

    // Returns a block from allocate(order), with the same order. Its head
    // must carry flag Head and nothing else (a slab clears Slab first).
    void free(Page* head, unsigned order);

    bool manages(uint64_t pfn) const { return pfn - first_pfn_ < page_count_; }
    Page* page_of(uint64_t pfn) const;
    uint64_t pfn_of(const Page* page) const;

    uint64_t first_pfn() const { return first_pfn_; }
    uint64_t page_count() const { return page_count_; }
    // Frames added by add_free_range (free or allocated now).
    uint64_t usable_page_count() const { return usable_pages_; }
    uint64_t free_page_count() const { return free_pages_; }
    // Number of free blocks of exactly this order.
    size_t free_blocks(unsigned order) const;
    // How many times a block was split in two / merged with its buddy.
    uint64_t split_count() const { return splits_; }
    uint64_t merge_count() const { return merges_; }

private:
    using FreeList = k::List<Page, &Page::node>;

    // Puts the free block at pfn of the given order on a free list, merging
    // it with its buddy (and the result with its buddy...) first.
    void release_block(uint64_t pfn, unsigned order);

    FreeList free_lists_[kOrderCount];
    Page* pages_ = nullptr;
    uint64_t first_pfn_ = 0;
    uint64_t page_count_ = 0;
    uint64_t usable_pages_ = 0;
    uint64_t free_pages_ = 0;
    uint64_t splits_ = 0;
    uint64_t merges_ = 0;
};

}  // namespace mm
