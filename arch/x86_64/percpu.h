#pragma once
// Per-CPU data, reached through the GS segment base.
//
// Each CPU's IA32_GS_BASE MSR points at its own ArchCpu, whose first field
// points at itself, so `mov %gs:0, %rax` yields "this CPU" in one
// instruction, and fixed offsets (used by assembly) reach fields directly.
// On entry from user mode the entry code runs `swapgs` (interrupt_entry.asm)
// so GS is the kernel's inside the kernel. The kernel's Cpu (kernel/cpu.h)
// embeds this as its first member.
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/gdt.h"

namespace arch {

struct FaultRecovery;

struct ArchCpu {
    ArchCpu* self;                          // offset 0: %gs:0
    FaultRecovery* armed_fault_recovery;    // offset 8: fault_catcher.asm
    uint64_t scratch;                       // offset 16: entry code's spare slot (user RSP in syscall_entry)
    uint64_t kernel_stack_top;              // offset 24: the running thread's; syscall_entry switches to it
    uint32_t index;                         // 0 .. cpu_count-1, dense
    uint32_t apic_id;
    CpuDescriptorTables tables;
    uint8_t* ist_stacks;                    // 3 x kIstStackSize
};
static_assert(offsetof(ArchCpu, self) == 0);
static_assert(offsetof(ArchCpu, armed_fault_recovery) == 8, "fault_catcher.asm uses %gs:8");
static_assert(offsetof(ArchCpu, scratch) == 16 && offsetof(ArchCpu, kernel_stack_top) == 24,
              "syscall_entry.asm uses %gs:16 and %gs:24");

constexpr uint32_t kMsrGsBase = 0xc0000101;
constexpr uint32_t kMsrKernelGsBase = 0xc0000102;

// Points GS at `cpu` on the calling CPU.
inline void install_percpu(ArchCpu* cpu) {
    cpu->self = cpu;
    uint64_t address = reinterpret_cast<uint64_t>(cpu);
    asm volatile("wrmsr" : : "c"(kMsrGsBase), "a"(static_cast<uint32_t>(address)),
                 "d"(static_cast<uint32_t>(address >> 32)));
}

inline ArchCpu* this_arch_cpu() {
    ArchCpu* cpu;
    asm volatile("mov %%gs:0, %0" : "=r"(cpu));
    return cpu;
}

}  // namespace arch
