#pragma once
// The kernel's virtual address layout (docs/ARCHITECTURE.md has the table).
//
//   0x0000'0000'0000'0000 .. 0x0000'7fff'ffff'ffff   user space (empty so far)
//   0xffff'8000'0000'0000 .. +64 TiB                  direct map of physical memory
//   0xffff'c000'0000'0000 .. +1 TiB                   kernel stacks, each under a guard page
//   0xffff'd000'0000'0000 .. +1 TiB                   scratch area for in-kernel tests
//   0xffff'ffff'8000'0000 .. (top)                    the kernel image (-mcmodel=kernel)
#include <stdint.h>

#include "kernel/mm/page.h"

namespace mm {

constexpr uint64_t kDirectMapBase = 0xffff800000000000ull;
constexpr uint64_t kDirectMapSize = uint64_t{64} << 40;
constexpr uint64_t kKernelStackRegionBase = 0xffffc00000000000ull;
constexpr uint64_t kKernelStackRegionSize = uint64_t{1} << 40;
constexpr uint64_t kTestScratchBase = 0xffffd00000000000ull;
constexpr uint64_t kTestScratchSize = uint64_t{1} << 40;
constexpr uint64_t kKernelImageBase = 0xffffffff80000000ull;

// Every physical address is reachable at a fixed offset in the direct map.
template <typename T = void> inline T* phys_to_virt(PhysAddr phys) {
    return reinterpret_cast<T*>(phys + kDirectMapBase);
}
inline PhysAddr virt_to_phys(const void* direct_mapped) {
    return reinterpret_cast<uint64_t>(direct_mapped) - kDirectMapBase;
}
// Kernel image addresses (code, statics) to physical.
inline PhysAddr image_virt_to_phys(const void* image_address) {
    return reinterpret_cast<uint64_t>(image_address) - kKernelImageBase;
}

}  // namespace mm
