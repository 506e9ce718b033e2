#pragma once
// The kernel's physical memory: the BootMemory carve-outs at boot, then one
// buddy allocator over all RAM with a Page descriptor per frame.
//
// Boot order (kernel/main.cpp): boot_memory_init() collects usable RAM minus
// what must never be handed out; the kernel page tables are built from it;
// physical_memory_init() then places the Page array and gives every frame
// still free to the buddy allocator.
#include <stdint.h>

#include "kernel/mm/boot_memory.h"
#include "kernel/mm/page.h"
#include "libk/boot_info.h"

namespace mm {

BootMemory& boot_memory_init(const k::BootInfo& info);
void physical_memory_init(BootMemory& boot_memory, const k::BootInfo& info);

// 2^order contiguous, naturally aligned frames, or nullptr. Not zeroed.
Page* allocate_pages(unsigned order);
void free_pages(Page* head, unsigned order);

PhysAddr page_to_phys(const Page* page);
Page* phys_to_page(PhysAddr phys);  // nullptr outside managed memory

struct MemoryStats {
    uint64_t total_frames;   // frames covered by the Page array
    uint64_t usable_frames;  // frames ever given to the buddy allocator
    uint64_t free_frames;
    uint64_t highest_usable; // end of the highest usable frame
};
MemoryStats memory_stats();
// How many blocks of `order` the free memory could supply now (larger free
// blocks split): whether a huge-page mapping can be backed.
uint64_t free_blocks_of_order(unsigned order);

}  // namespace mm
