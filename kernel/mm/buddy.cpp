#include "kernel/mm/buddy.h"

#include "libk/new.h"
#include "libk/utility.h"
#include "libk/verify.h"

namespace mm {

namespace {

constexpr uint64_t frames_in(unsigned order) { return uint64_t{1} << order; }

// The largest order of a block that may start at pfn and fit in count frames:
// limited by the alignment of pfn (a block of order n must start at a multiple
// of 2^n), by count, and by kMaxOrder.
unsigned largest_block_order(uint64_t pfn, uint64_t count) {
    unsigned alignment_order = pfn == 0 ? BuddyAllocator::kMaxOrder : static_cast<unsigned>(__builtin_ctzll(pfn));
    unsigned size_order = 63u - static_cast<unsigned>(__builtin_clzll(count));
    return k::min(k::min(alignment_order, size_order), BuddyAllocator::kMaxOrder);
}

}  // namespace

void BuddyAllocator::init(Page* pages, uint64_t first_pfn, uint64_t count) {
    VERIFY(pages_ == nullptr && "BuddyAllocator::init called twice");
    VERIFY(pages != nullptr && count > 0);
    VERIFY(first_pfn + count > first_pfn);  // the range does not wrap around
    pages_ = pages;
    first_pfn_ = first_pfn;
    page_count_ = count;
    for (uint64_t i = 0; i < count; ++i) {
        Page* page = new (&pages[i]) Page{};
        page->set(PageFlag::Reserved);
    }
}

void BuddyAllocator::add_free_range(uint64_t pfn, uint64_t count) {
    if (count == 0) return;
    VERIFY(manages(pfn) && count <= page_count_ - (pfn - first_pfn_));
    for (uint64_t i = 0; i < count; ++i) {
        Page* page = page_of(pfn + i);
        VERIFY(page->is_only(PageFlag::Reserved) && "frame added as free memory twice");
        page->flags = 0;
    }
    usable_pages_ += count;
    free_pages_ += count;
    // Cut the range into the largest naturally aligned blocks that fit: a
    // range [5, 21) becomes 5 (order 0), 6-7 (order 1), 8-15 (order 3),
    // 16-19 (order 2), 20 (order 0). Each goes through release_block, so a
    // block merges with free memory added earlier next to it.
    while (count > 0) {
        unsigned order = largest_block_order(pfn, count);
        release_block(pfn, order);
        pfn += frames_in(order);
        count -= frames_in(order);
    }
}

Page* BuddyAllocator::allocate(unsigned order) {
    if (order > kMaxOrder) return nullptr;

    // The smallest free block that is large enough.
    unsigned found = order;
    while (found <= kMaxOrder && free_lists_[found].empty()) ++found;
    if (found > kMaxOrder) return nullptr;

    Page* head = free_lists_[found].pop_front();
    uint64_t pfn = pfn_of(head);

    // Too large: split it in halves, keep the lower half and put the upper
    // half (the lower half's buddy) on the free list one order down, until
    // the kept block has the requested order. Both halves stay aligned to
    // their size because the block we split was aligned to twice that size.
    while (found > order) {
        --found;
        Page* upper_half = page_of(pfn + frames_in(found));
        upper_half->flags = static_cast<uint32_t>(PageFlag::Free);
        upper_half->order = static_cast<uint8_t>(found);
        free_lists_[found].push_front(*upper_half);
        ++splits_;
    }

    head->flags = static_cast<uint32_t>(PageFlag::Head);
    head->order = static_cast<uint8_t>(order);
    head->owner = nullptr;
    head->refcount = 1;
    head->mapcount = 0;
    free_pages_ -= frames_in(order);
    return head;
}

void BuddyAllocator::free(Page* head, unsigned order) {
    uint64_t pfn = pfn_of(head);
    VERIFY(order <= kMaxOrder);
    // Only the head of an allocated block carries Head: a second free of the
    // same block finds Free (or no flag at all, if the block has merged into
    // a larger one since), and so does a frame from the middle of a block.
    VERIFY(head->has(PageFlag::Head) && "freeing a block that is not allocated (double free?)");
    VERIFY(head->order == order && "freeing a block with another order than it was allocated with");
    VERIFY(head->is_only(PageFlag::Head) && "freeing a block still marked as used (Slab?)");

    head->flags = 0;
    head->order = 0;
    head->owner = nullptr;
    head->refcount = 0;
    head->mapcount = 0;
    free_pages_ += frames_in(order);
    release_block(pfn, order);
}

void BuddyAllocator::release_block(uint64_t pfn, unsigned order) {
    while (order < kMaxOrder) {
        // Buddy arithmetic. A block of order n starts at a multiple of 2^n;
        // it and its buddy are the two halves of the order n+1 block that
        // starts at a multiple of 2^(n+1). So the two start pfns are equal
        // except in bit n: clear in the lower half, set in the upper half.
        // Flipping bit n, pfn ^ (1 << n), goes from either half to the other;
        // clearing it, pfn & ~(1 << n), gives the start of the merged block.
        // The pfn is the absolute frame number, not an index into pages_:
        // blocks are aligned in physical memory, where huge pages need it.
        uint64_t buddy_pfn = pfn ^ frames_in(order);
        // The buddy may lie outside the managed range (this block is at its
        // edge): then there is nothing to merge with.
        if (!manages(buddy_pfn)) break;
        Page* buddy = page_of(buddy_pfn);
        // Merge only with a whole free buddy of the same order. Free with a
        // smaller order means part of the buddy is allocated; no Free flag
        // means it is allocated, Reserved (a hole), or a tail frame.
        if (!buddy->has(PageFlag::Free) || buddy->order != order) break;
        free_lists_[order].remove(*buddy);
        buddy->flags = 0;
        buddy->order = 0;
        pfn &= ~frames_in(order);
        ++order;
        ++merges_;
    }
    Page* head = page_of(pfn);
    head->flags = static_cast<uint32_t>(PageFlag::Free);
    head->order = static_cast<uint8_t>(order);
    free_lists_[order].push_front(*head);
}

Page* BuddyAllocator::page_of(uint64_t pfn) const {
    VERIFY(manages(pfn));
    return &pages_[pfn - first_pfn_];
}

uint64_t BuddyAllocator::pfn_of(const Page* page) const {
    uintptr_t address = reinterpret_cast<uintptr_t>(page);
    uintptr_t base = reinterpret_cast<uintptr_t>(pages_);
    VERIFY(address >= base && (address - base) / sizeof(Page) < page_count_ && (address - base) % sizeof(Page) == 0 &&
           "not a descriptor of this allocator");
    return first_pfn_ + (address - base) / sizeof(Page);
}

size_t BuddyAllocator::free_blocks(unsigned order) const {
    VERIFY(order <= kMaxOrder);
    return free_lists_[order].size();
}

}  // namespace mm
