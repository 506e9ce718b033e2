#pragma once
// Kernel stacks: each in its own slot of the kernel-stack region, with the
// page below it left unmapped so an overflow faults instead of silently
// overwriting whatever lies below.
#include <stdint.h>

#include "libk/result.h"

namespace mm {

constexpr uint64_t kKernelStackSize = 16384;

struct KernelStack {
    uint64_t base;  // lowest mapped address
    uint64_t top;   // initial stack pointer (one past the highest byte)
    uint64_t guard; // the unmapped page just below base
};

k::Result<KernelStack> allocate_kernel_stack();
void free_kernel_stack(const KernelStack& stack);

}  // namespace mm
