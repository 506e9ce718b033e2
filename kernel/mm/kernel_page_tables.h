#pragma once
// The kernel's own page tables, which replace the boot tables: the direct
// map of all physical memory (1 GiB pages where the CPU has them, else
// 2 MiB), the kernel image with per-section permissions, nothing at the
// bottom of the address space (a null pointer faults).
#include "kernel/mm/boot_memory.h"
#include "kernel/mm/page_table.h"
#include "libk/boot_info.h"

namespace mm {

// Builds the tables with frames from boot memory and switches CR3 to them.
void kernel_page_tables_init(BootMemory& boot_memory, const k::BootInfo& info);

// Once physical_memory_init() has run: page-table frames come from the buddy
// allocator from then on.
void kernel_page_tables_use_buddy();

// The kernel-half mappings (kernel stacks, tests), shared by every CPU:
// each call takes the kernel mapper's lock (preemption off, interrupts on,
// because changes shoot down other CPUs' TLBs and wait for their answer:
// not callable from interrupt handlers).
class KernelMapper {
public:
    k::Result<void> map(uint64_t virt, PhysAddr phys, PageSize size, PageProt prot);
    k::Result<void> map_range(uint64_t virt, PhysAddr phys, uint64_t length, PageProt prot, PageSize largest);
    k::Result<void> unmap(uint64_t virt, uint64_t length);
    k::Result<void> protect(uint64_t virt, uint64_t length, PageProt prot);
    k::Result<Translation> translate(uint64_t virt);
};
KernelMapper& kernel_mapper();

// The largest page size the direct map may use on this CPU.
PageSize direct_map_page_size();

// The kernel's PML4: its higher half is shared by every address space.
PhysAddr kernel_root_table();
// Table pages reached through the direct map (for other mappers).
PhysMemoryAccess& direct_map_table_access();

}  // namespace mm
