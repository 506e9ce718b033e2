#include "kernel/mm/kernel_stack.h"

#include "kernel/mm/kernel_page_tables.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/physical_memory.h"
#include "kernel/sync/guards.h"
#include "libk/verify.h"

namespace mm {

namespace {

// Slot i covers [base + i * kSlotSize, +kSlotSize): a guard page, then the
// stack. Slots are handed out from a bitmap; 4096 slots is plenty until
// threads arrive, and the bitmap is the only thing to grow then.
constexpr uint64_t kSlotSize = kKernelStackSize + kPageSize;
constexpr unsigned kSlotCount = 4096;
uint64_t slot_bitmap[kSlotCount / 64];
ksync::SpinLock slot_lock;

int take_slot() {
    kernel::SpinLockIrqSave guard(slot_lock);
    for (unsigned word = 0; word < kSlotCount / 64; ++word) {
        if (~slot_bitmap[word] == 0) continue;
        unsigned bit = __builtin_ctzll(~slot_bitmap[word]);
        slot_bitmap[word] |= uint64_t{1} << bit;
        return static_cast<int>(word * 64 + bit);
    }
    return -1;
}

void release_slot(unsigned slot) {
    kernel::SpinLockIrqSave guard(slot_lock);
    slot_bitmap[slot / 64] &= ~(uint64_t{1} << (slot % 64));
}

}  // namespace

k::Result<KernelStack> allocate_kernel_stack() {
    int slot = take_slot();
    if (slot < 0) return k::error(k::Errno::enomem);
    uint64_t guard = kKernelStackRegionBase + static_cast<uint64_t>(slot) * kSlotSize;
    KernelStack stack{guard + kPageSize, guard + kSlotSize, guard};
    PageProt prot{.writable = true, .user = false, .executable = false, .global = true, .uncached = false};
    for (uint64_t offset = 0; offset < kKernelStackSize; offset += kPageSize) {
        Page* page = allocate_pages(0);
        k::Result<void> mapped = page == nullptr ? k::Result<void>(k::error(k::Errno::enomem))
                                                 : kernel_mapper().map(stack.base + offset, page_to_phys(page),
                                                                       PageSize::k4K, prot);
        if (!mapped.ok()) {
            if (page != nullptr) free_pages(page, 0);
            free_kernel_stack(KernelStack{stack.base, stack.base + offset, guard});
            return k::error(mapped.error());
        }
    }
    return stack;
}

void free_kernel_stack(const KernelStack& stack) {
    for (uint64_t address = stack.base; address < stack.top; address += kPageSize) {
        auto translation = kernel_mapper().translate(address);
        if (!translation.ok()) continue;
        Page* page = phys_to_page(translation.value().phys);
        VERIFY(kernel_mapper().unmap(address, kPageSize).ok());
        if (page != nullptr) free_pages(page, 0);
    }
    uint64_t slot = (stack.guard - kKernelStackRegionBase) / kSlotSize;
    release_slot(static_cast<unsigned>(slot));
}

}  // namespace mm
