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

// The mapper for kernel-half mappings (kernel stacks, tests). Single CPU
// and no locking yet: SMP brings a lock and TLB shootdown.
PageTableMapper& kernel_mapper();

// The largest page size the direct map may use on this CPU.
PageSize direct_map_page_size();

}  // namespace mm
