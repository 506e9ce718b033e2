#include "arch/x86_64/user_mode.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "arch/x86_64/percpu.h"
#include "libk/string.h"

extern "C" void syscall_entry();
extern "C" uint8_t arch_smap_enabled;

namespace arch {

namespace {

size_t fpu_area_size = 512;
bool use_xsave = false;

// Legacy FXSAVE-area fields (SDM Vol. 1 §10.5.1, Table 10-2).
constexpr size_t kFcwOffset = 0;
constexpr size_t kMxcsrOffset = 24;
constexpr uint16_t kDefaultFcw = 0x37f;       // all x87 exceptions masked, 64-bit precision
constexpr uint32_t kDefaultMxcsr = 0x1f80;    // all SSE exceptions masked, round to nearest

}  // namespace

void init_user_mode_support() {
    const CpuFeatures& features = cpu_features();
    // FPU: native error reporting, no emulation, SSE enabled with its
    // exceptions reported as #XM (SDM Vol. 3A §13.1.3).
    uint64_t cr0 = read_cr0();
    cr0 = (cr0 | kCr0MonitorCoprocessor | kCr0NumericError) & ~(kCr0Emulation | kCr0TaskSwitched);
    write_cr0(cr0);
    uint64_t cr4 = read_cr4() | kCr4Osfxsr | kCr4Osxmmexcpt;
    if (features.xsave_features != 0) cr4 |= kCr4Osxsave;
    if (features.smep) cr4 |= kCr4Smep;
    if (features.smap) cr4 |= kCr4Smap;
    write_cr4(cr4);
    if (features.xsave_features != 0) {
        write_xcr0(features.xsave_features);
        use_xsave = true;
        // EBX of leaf 0Dh: the XSAVE area size for the features now in XCR0.
        fpu_area_size = cpuid(0xd, 0).ebx;
    }
    arch_smap_enabled = features.smap ? 1 : 0;

    // SYSCALL loads CS = STAR[47:32] and SS = that + 8; SYSRET to 64-bit
    // mode loads CS = STAR[63:48] + 16 and SS = STAR[63:48] + 8, both with
    // RPL 3 (SDM Vol. 2B). Hence the GDT order ucode32, udata, ucode64.
    const uint64_t star = (uint64_t{kUserCode32Selector & ~3u} << 48) | (uint64_t{kKernelCodeSelector} << 32);
    write_msr(kMsrStar, star);
    write_msr(kMsrLstar, reinterpret_cast<uint64_t>(&syscall_entry));
    write_msr(kMsrFmask, kRflagsInterrupt | kRflagsTrap | kRflagsDirection | kRflagsAlignmentCheck |
                             kRflagsNestedTask);
    write_msr(kMsrEfer, read_msr(kMsrEfer) | kEferSce);
}

void set_kernel_stack(uint64_t top) {
    ArchCpu* cpu = this_arch_cpu();
    cpu->tables.tss.rsp[0] = top;
    cpu->kernel_stack_top = top;
}

void set_fs_base(uint64_t base) { write_msr(kMsrFsBase, base); }

size_t fpu_state_size() { return fpu_area_size; }

void fpu_state_init(void* area) {
    // An all-zero XSAVE header (XSTATE_BV = 0) makes XRSTOR load every
    // component's initial state; FXRSTOR has no such notion, so the legacy
    // control words are written explicitly. Both read them from here.
    memset(area, 0, fpu_area_size);
    auto bytes = static_cast<uint8_t*>(area);
    const uint16_t fcw = kDefaultFcw;
    const uint32_t mxcsr = kDefaultMxcsr;
    memcpy(bytes + kFcwOffset, &fcw, sizeof fcw);
    memcpy(bytes + kMxcsrOffset, &mxcsr, sizeof mxcsr);
    if (use_xsave) {
        // Mark x87 and SSE as "in the area" so FCW and MXCSR above are used.
        const uint64_t xstate_bv = 0x3;
        memcpy(bytes + 512, &xstate_bv, sizeof xstate_bv);
    }
}

void fpu_save(void* area) {
    if (use_xsave) {
        asm volatile("xsave64 (%0)" : : "r"(area), "a"(0xffffffffu), "d"(0xffffffffu) : "memory");
    } else {
        asm volatile("fxsave64 (%0)" : : "r"(area) : "memory");
    }
}

void fpu_restore(const void* area) {
    if (use_xsave) {
        asm volatile("xrstor64 (%0)" : : "r"(area), "a"(0xffffffffu), "d"(0xffffffffu) : "memory");
    } else {
        asm volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
    }
}

}  // namespace arch
