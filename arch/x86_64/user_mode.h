#pragma once
// What the CPU needs to run user code: SYSCALL/SYSRET set up, the FPU/SSE/AVX
// state of each user thread, the kernel stack the CPU switches to on entry,
// the FS base (thread pointer), SMEP/SMAP, and the first entry into ring 3.
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/gdt.h"
#include "arch/x86_64/interrupt_frame.h"

extern "C" [[noreturn]] void arch_return_to_user(arch::InterruptFrame* frame);
extern "C" size_t arch_copy_user(void* dst, const void* src, size_t n);
extern "C" int arch_user_cmpxchg32(uint32_t* user_address, uint32_t expected, uint32_t desired, uint32_t* old);
extern "C" uint64_t arch_exception_table_fixup(uint64_t faulting_rip);

namespace arch {

// Per CPU, after the GDT/TSS are loaded: CR0/CR4 FPU bits and XCR0,
// SMEP/SMAP, EFER.SCE and the SYSCALL MSRs.
void init_user_mode_support();

// The stack the CPU switches to when user code enters the kernel (TSS.RSP0
// for interrupts and exceptions, %gs:24 for SYSCALL): the top of the running
// thread's kernel stack, where its user frame lives.
void set_kernel_stack(uint64_t top);

void set_fs_base(uint64_t base);

// The extended (x87/SSE/AVX) register state: saved when a user thread is
// switched out, restored when it is switched in. The kernel itself is
// compiled without SSE, so kernel threads never touch it.
size_t fpu_state_size();
constexpr size_t kFpuStateAlign = 64;  // XSAVE needs 64-byte alignment
void fpu_state_init(void* area);       // the state a new program starts with
void fpu_save(void* area);
void fpu_restore(const void* area);

// The frame that enters user mode at `rip` with stack `rsp`, interrupts on.
inline InterruptFrame make_user_frame(uint64_t rip, uint64_t rsp) {
    InterruptFrame frame{};
    frame.rip = rip;
    frame.rsp = rsp;
    frame.cs = kUserCodeSelector;
    frame.ss = kUserDataSelector;
    frame.rflags = 0x202;  // IF, and bit 1 which is always set
    return frame;
}

// The highest user address + 1 that SYSRET may return to safely (the last
// page below the canonical hole stays unmapped, as on Linux).
constexpr uint64_t kUserTop = 0x0000'7fff'ffff'f000;

}  // namespace arch
