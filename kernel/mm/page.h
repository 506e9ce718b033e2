#pragma once
// The physical page frame and its descriptor.
//
// The kernel keeps one `Page` per 4 KiB frame of physical memory, in one big
// array indexed by page frame number (pfn = physical address >> 12). Everything
// the kernel knows about a frame lives there, never in the frame itself: a free
// frame may not even be mapped, and a frame handed to user space belongs to
// user space. With one descriptor per frame the array costs
// sizeof(Page) / 4096 of all memory (about 1% at 40 bytes), which is why the
// descriptor is kept small and its fields are shared between users that never
// hold the same frame at the same time (a frame is on a buddy free list OR on
// a slab list, never both).
#include <stddef.h>
#include <stdint.h>

#include "libk/list.h"

namespace mm {

using PhysAddr = uint64_t;

constexpr uint64_t kPageShift = 12;
constexpr uint64_t kPageSize = uint64_t{1} << kPageShift;  // 4096

constexpr PhysAddr pfn_to_phys(uint64_t pfn) { return pfn << kPageShift; }
constexpr uint64_t phys_to_pfn(PhysAddr address) { return address >> kPageShift; }

// What a frame is currently used for. Bits, because some combine (the head of
// an allocated block that a slab cache owns is Head | Slab).
enum class PageFlag : uint32_t {
    // Head of a free block on a buddy free list; `order` gives its size.
    Free = 1u << 0,
    // Not handed to the allocator: firmware, kernel image, holes. Every frame
    // starts Reserved and stays so until added as usable memory.
    Reserved = 1u << 1,
    // First frame of an allocated block; `order` gives its size. The other
    // frames of a block (free or allocated) have no flags: only the head
    // speaks for the block.
    Head = 1u << 2,
    // The block is a slab; `owner` points at its SlabCache.
    Slab = 1u << 3,
};

struct Page {
    // Links the frame into a buddy free list (when Free) or a slab list.
    k::ListNode node;
    // The SlabCache owning this frame when flag Slab is set.
    void* owner = nullptr;
    uint32_t flags = 0;
    // log2 of the block size in frames, valid in the head frame of a block.
    uint8_t order = 0;
    // References to the frame, and page-table entries mapping it: shared
    // mappings and copy-on-write decide by these counts. Later code updates
    // them with __atomic builtins, so they stay naturally aligned 32-bit words.
    uint32_t refcount = 0;
    uint32_t mapcount = 0;

    bool has(PageFlag flag) const { return (flags & static_cast<uint32_t>(flag)) != 0; }
    void set(PageFlag flag) { flags |= static_cast<uint32_t>(flag); }
    void clear(PageFlag flag) { flags &= ~static_cast<uint32_t>(flag); }
    // True when the flags word is exactly `flag` and nothing else.
    bool is_only(PageFlag flag) const { return flags == static_cast<uint32_t>(flag); }
};

static_assert(sizeof(Page) <= 48, "one Page per 4 KiB frame: keep the descriptor small");
static_assert(offsetof(Page, refcount) % alignof(uint32_t) == 0 && offsetof(Page, mapcount) % alignof(uint32_t) == 0,
              "atomic counters must be naturally aligned");

}  // namespace mm
