#include "kernel/mm/physical_memory.h"

#include "kernel/log.h"
#include "kernel/mm/buddy.h"
#include "kernel/mm/layout.h"
#include "kernel/panic.h"
#include "kernel/sync/guards.h"
#include "libk/new.h"
#include "libk/string.h"

extern "C" const char __kernel_phys_start[];
extern "C" const char __kernel_phys_end[];

namespace mm {

namespace {

BootMemory boot_memory;
BuddyAllocator buddy;
// Every CPU and interrupt handlers allocate frames: a spinlock with
// interrupts off around each buddy operation (they are short and bounded).
ksync::SpinLock buddy_lock;
uint64_t highest_usable_end = 0;

// Never handed out: the real-mode area (BIOS data, EBDA; the SMP trampoline
// will live there), the kernel image, and the boot modules (the initrd).
void reserve_fixed_areas(const k::BootInfo& info) {
    boot_memory.reserve(0, 0x100000);
    uint64_t image_start = reinterpret_cast<uint64_t>(__kernel_phys_start);
    uint64_t image_end = reinterpret_cast<uint64_t>(__kernel_phys_end);
    boot_memory.reserve(image_start, image_end - image_start);
    for (size_t i = 0; i < info.module_count; ++i) {
        const k::BootModule& module = info.modules[i];
        if (module.phys_end > module.phys_start) boot_memory.reserve(module.phys_start, module.phys_end - module.phys_start);
    }
}

}  // namespace

BootMemory& boot_memory_init(const k::BootInfo& info) {
    for (size_t i = 0; i < info.memory_region_count; ++i) {
        const k::MemoryRegion& region = info.memory_regions[i];
        if (region.type != k::MemoryType::Usable) continue;
        if (!boot_memory.add_usable(region.base, region.length)) {
            log_warn("mm: too many memory ranges, ignoring 0x%lx+0x%lx", region.base, region.length);
        }
    }
    // Firmware may list a range as usable in one entry and reserved in
    // another; reserved wins.
    for (size_t i = 0; i < info.memory_region_count; ++i) {
        const k::MemoryRegion& region = info.memory_regions[i];
        if (region.type != k::MemoryType::Usable) boot_memory.reserve(region.base, region.length);
    }
    highest_usable_end = boot_memory.highest_end();
    reserve_fixed_areas(info);
    if (boot_memory.free_bytes() == 0) kernel::panic("mm: no usable memory in the memory map");
    return boot_memory;
}

void physical_memory_init(BootMemory& memory, const k::BootInfo&) {
    uint64_t frame_count = highest_usable_end / kPageSize;
    uint64_t array_bytes = frame_count * sizeof(Page);
    auto array_phys = memory.allocate(array_bytes, kPageSize);
    if (!array_phys.ok()) kernel::panic("mm: no room for %lu page descriptors (%lu KiB)", frame_count, array_bytes >> 10);
    auto pages = phys_to_virt<Page>(array_phys.value());
    // Zeroed memory is a valid array of default Pages (no flags, no links).
    memset(pages, 0, array_bytes);
    buddy.init(pages, 0, frame_count);
    for (size_t i = 0; i < memory.range_count(); ++i) {
        const BootMemory::Range& r = memory.range(i);
        buddy.add_free_range(r.base / kPageSize, (r.end - r.base) / kPageSize);
    }
    MemoryStats s = memory_stats();
    log_info("mm: %lu MiB usable of %lu MiB covered, %lu KiB of page descriptors at 0x%lx",
             (s.usable_frames * kPageSize) >> 20, (s.total_frames * kPageSize) >> 20, array_bytes >> 10,
             array_phys.value());
}

Page* allocate_pages(unsigned order) {
    kernel::SpinLockIrqSave guard(buddy_lock);
    return buddy.allocate(order);
}
void free_pages(Page* head, unsigned order) {
    kernel::SpinLockIrqSave guard(buddy_lock);
    buddy.free(head, order);
}

PhysAddr page_to_phys(const Page* page) { return pfn_to_phys(buddy.pfn_of(page)); }
Page* phys_to_page(PhysAddr phys) {
    uint64_t pfn = phys_to_pfn(phys);
    return buddy.manages(pfn) ? buddy.page_of(pfn) : nullptr;
}

uint64_t free_blocks_of_order(unsigned order) {
    kernel::SpinLockIrqSave guard(buddy_lock);
    uint64_t blocks = 0;
    for (unsigned o = order; o <= BuddyAllocator::kMaxOrder; ++o) blocks += uint64_t{buddy.free_blocks(o)} << (o - order);
    return blocks;
}

MemoryStats memory_stats() {
    return MemoryStats{buddy.page_count(), buddy.usable_page_count(), buddy.free_page_count(), highest_usable_end};
}

}  // namespace mm
