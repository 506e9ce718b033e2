#pragma once
// The AP start-up trampoline (boot/ap_trampoline.asm) as seen from C++.
#include <stdint.h>

extern "C" const uint8_t ap_trampoline_start[];
extern "C" const uint8_t ap_trampoline_end[];
extern "C" const uint8_t ap_trampoline_params[];

namespace arch {

// Where the trampoline runs: a page below 1 MiB (a STARTUP IPI names a
// 4 KiB page number 0x01-0xff), in the first megabyte the page allocator
// never hands out.
constexpr uint64_t kTrampolinePhys = 0x8000;

// The parameter block at ap_trampoline_params; same layout as the asm.
struct [[gnu::packed]] TrampolineParams {
    uint32_t cr3;        // the kernel's PML4, below 4 GiB (32-bit mov to CR3)
    uint32_t efer_bits;  // EFER.LME, plus EFER.NXE when the boot CPU uses NX
    uint64_t stack_top;
    uint64_t cpu;        // passed to entry in RDI
    uint64_t entry;      // a higher-half function: void entry(void* cpu)
};
static_assert(sizeof(TrampolineParams) == 32);

}  // namespace arch
