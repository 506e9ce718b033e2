// Physical memory under real paging: every frame the buddy allocator owns
// can be allocated, is real RAM outside the kernel and modules, and comes
// back when freed.
#include "kernel/boot_info.h"
#include "kernel/mm/buddy.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/physical_memory.h"
#include "kernel/test/ktest.h"
#include "libk/list.h"

extern "C" const char __kernel_phys_start[];
extern "C" const char __kernel_phys_end[];

namespace {

using mm::Page;

bool overlaps(uint64_t a_start, uint64_t a_end, uint64_t b_start, uint64_t b_end) {
    return a_start < b_end && b_start < a_end;
}

bool in_forbidden_area(uint64_t phys) {
    const uint64_t end = phys + mm::kPageSize;
    if (phys < 0x100000) return true;
    if (overlaps(phys, end, reinterpret_cast<uint64_t>(__kernel_phys_start),
                 reinterpret_cast<uint64_t>(__kernel_phys_end))) {
        return true;
    }
    const k::BootInfo& info = kernel::boot_info();
    for (uint32_t i = 0; i < info.module_count; ++i) {
        if (overlaps(phys, end, info.modules[i].phys_start, info.modules[i].phys_end)) return true;
    }
    return false;
}

}  // namespace

// Allocates every free frame one at a time, checks each, frees them all:
// no frame lost, and the free blocks coalesce back into large ones.
KTEST(pmm, exhaust_and_restore) {
    const uint64_t free_before = mm::memory_stats().free_frames;
    Page* big_before = mm::allocate_pages(9);
    KASSERT(big_before != nullptr);
    mm::free_pages(big_before, 9);

    // The allocated frames are chained through their own descriptors' list
    // node (unused while allocated): no memory needed to remember them.
    k::List<Page, &Page::node> taken;
    uint64_t count = 0, high_frames = 0, touched = 0, bad = 0;
    while (Page* page = mm::allocate_pages(0)) {
        const uint64_t phys = mm::page_to_phys(page);
        if (in_forbidden_area(phys)) ++bad;
        if (phys >= (uint64_t{4} << 30)) ++high_frames;
        // Touch a sample of frames through the direct map (all of them would
        // make QEMU allocate every guest page on the host).
        if ((count & 255) == 0) {
            volatile uint64_t* word = mm::phys_to_virt<uint64_t>(phys);
            *word = phys ^ 0x5a5a5a5a5a5a5a5aull;
            if (*word != (phys ^ 0x5a5a5a5a5a5a5a5aull)) ++bad;
            ++touched;
        }
        taken.push_back(*page);
        ++count;
    }
    KEXPECT_EQ(count, free_before);
    KEXPECT_EQ(mm::memory_stats().free_frames, 0);
    KEXPECT_EQ(bad, 0);
    KEXPECT(touched > 0);
    // With RAM above 4 GiB (QEMU -m 8G), frames from there must be handed out.
    if (mm::memory_stats().highest_usable > (uint64_t{4} << 30)) KEXPECT(high_frames > 0);

    while (Page* page = taken.pop_front()) mm::free_pages(page, 0);
    KEXPECT_EQ(mm::memory_stats().free_frames, free_before);
    Page* big_after = mm::allocate_pages(9);
    KEXPECT(big_after != nullptr);
    if (big_after != nullptr) mm::free_pages(big_after, 9);
}

KTEST(pmm, blocks_are_naturally_aligned) {
    const uint64_t free_before = mm::memory_stats().free_frames;
    for (unsigned order = 0; order <= 10; ++order) {
        Page* page = mm::allocate_pages(order);
        KASSERT(page != nullptr);
        const uint64_t phys = mm::page_to_phys(page);
        KEXPECT_EQ(phys % (mm::kPageSize << order), 0);
        KEXPECT(mm::phys_to_page(phys) == page);
        mm::free_pages(page, order);
    }
    KEXPECT_EQ(mm::memory_stats().free_frames, free_before);
}

KTEST(pmm, allocated_frames_are_writable_ram) {
    Page* page = mm::allocate_pages(4);
    KASSERT(page != nullptr);
    auto words = mm::phys_to_virt<volatile uint64_t>(mm::page_to_phys(page));
    const uint64_t count = (mm::kPageSize << 4) / sizeof(uint64_t);
    for (uint64_t i = 0; i < count; ++i) words[i] = i * 0x9e3779b97f4a7c15ull;
    uint64_t mismatches = 0;
    for (uint64_t i = 0; i < count; ++i) mismatches += words[i] != i * 0x9e3779b97f4a7c15ull;
    KEXPECT_EQ(mismatches, 0);
    mm::free_pages(page, 4);
}
