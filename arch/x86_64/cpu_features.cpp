#include "arch/x86_64/cpu_features.h"

#include "arch/x86_64/cpu.h"
#include "libk/string.h"

namespace arch {

namespace {
CpuFeatures features;
}

void detect_cpu_features() {
    CpuidResult leaf0 = cpuid(0);
    memcpy(features.vendor + 0, &leaf0.ebx, 4);
    memcpy(features.vendor + 4, &leaf0.edx, 4);
    memcpy(features.vendor + 8, &leaf0.ecx, 4);

    CpuidResult leaf1 = cpuid(1);
    features.global_pages = leaf1.edx & (1u << 13);
    features.pcid = leaf1.ecx & (1u << 17);
    features.x2apic = leaf1.ecx & (1u << 21);
    features.xsave = leaf1.ecx & (1u << 26);
    features.avx = leaf1.ecx & (1u << 28);
    if (leaf0.eax >= 7) {
        CpuidResult leaf7 = cpuid(7, 0);
        features.smep = leaf7.ebx & (1u << 7);
        features.smap = leaf7.ebx & (1u << 20);
    }
    if (features.xsave && leaf0.eax >= 0xd) {
        // XCR0 bits: 0 x87, 1 SSE, 2 AVX (SDM Vol. 1 §13.3). Only what the
        // CPU supports (CPUID 0Dh EAX) and what we know how to size.
        uint64_t supported = cpuid(0xd, 0).eax;
        features.xsave_features = supported & (features.avx ? 0x7 : 0x3);
    }

    uint32_t max_extended = cpuid(0x80000000).eax;
    if (max_extended >= 0x80000001) {
        CpuidResult ext1 = cpuid(0x80000001);
        features.huge_1g_pages = ext1.edx & (1u << 26);
    }
    if (max_extended >= 0x80000004) {
        for (uint32_t i = 0; i < 3; ++i) {
            CpuidResult r = cpuid(0x80000002 + i);
            memcpy(features.brand + 16 * i + 0, &r.eax, 4);
            memcpy(features.brand + 16 * i + 4, &r.ebx, 4);
            memcpy(features.brand + 16 * i + 8, &r.ecx, 4);
            memcpy(features.brand + 16 * i + 12, &r.edx, 4);
        }
    }
    if (max_extended >= 0x80000007) features.invariant_tsc = cpuid(0x80000007).edx & (1u << 8);
    if (max_extended >= 0x80000008) {
        CpuidResult r = cpuid(0x80000008);
        features.physical_address_bits = r.eax & 0xff;
        features.linear_address_bits = (r.eax >> 8) & 0xff;
    }
    // The boot code turned on EFER.NXE if and only if the CPU has NX.
    features.no_execute = read_msr(kMsrEfer) & kEferNxe;
}

const CpuFeatures& cpu_features() { return features; }

}  // namespace arch
