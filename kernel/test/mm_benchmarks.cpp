// Memory-management costs, counted in instructions under make bench.
#include "arch/x86_64/fault_catcher.h"
#include "kernel/mm/kernel_page_tables.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/physical_memory.h"
#include "kernel/test/kbench.h"
#include "libk/verify.h"

KBENCH(page_alloc_free) {
    mm::Page* page = mm::allocate_pages(0);
    VERIFY(page != nullptr);
    mm::free_pages(page, 0);
}

KBENCH(kmalloc_free_64) {
    void* p = mm::kmalloc(64);
    VERIFY(p != nullptr);
    mm::kfree(p);
}

KBENCH(kernel_map_unmap_4k) {
    static const mm::PageProt prot{.writable = true, .user = false, .executable = false, .global = false, .uncached = false};
    VERIFY(mm::kernel_mapper().map(mm::kTestScratchBase, 0x100000, mm::PageSize::k4K, prot).ok());
    VERIFY(mm::kernel_mapper().unmap(mm::kTestScratchBase, mm::kPageSize).ok());
}

// A kernel-mode page fault taken and returned from: exception entry, the
// handler's decision, IRET. The floor under every demand-paging fault.
KBENCH(exception_roundtrip) {
    arch::CaughtFault f = arch::call_catching_faults([] { (void)*reinterpret_cast<volatile uint8_t*>(0x8); });
    VERIFY(f.faulted);
}
