#pragma once
#include <stdint.h>
// What this CPU can do, read once from CPUID (Intel SDM Vol. 2A, CPUID).
namespace arch {

struct CpuFeatures {
    bool huge_1g_pages = false;  // CPUID 80000001h EDX[26] (PDPE1GB)
    bool no_execute = false;     // NX present and EFER.NXE enabled by boot code
    bool global_pages = false;   // CPUID 1 EDX[13] (PGE)
    bool invariant_tsc = false;  // CPUID 80000007h EDX[8]
    bool x2apic = false;         // CPUID 1 ECX[21]
    bool pcid = false;           // CPUID 1 ECX[17]
    bool smep = false;           // CPUID 7 EBX[7]: no kernel execution of user pages
    bool smap = false;           // CPUID 7 EBX[20]: no kernel access to user pages outside stac/clac
    bool xsave = false;          // CPUID 1 ECX[26]
    bool avx = false;            // CPUID 1 ECX[28]
    uint64_t xsave_features = 0; // what XCR0 enables (x87 | SSE | AVX where present)
    uint32_t fpu_state_size = 512;  // bytes of the FXSAVE/XSAVE area for xsave_features
    unsigned physical_address_bits = 36;
    unsigned linear_address_bits = 48;
    char vendor[13] = {};
    char brand[49] = {};
};

void detect_cpu_features();
const CpuFeatures& cpu_features();

}  // namespace arch
