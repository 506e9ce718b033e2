#pragma once
// One CPU as the kernel sees it. The architecture part (GS:0 self pointer,
// descriptor tables, IST stacks) comes first so %gs:0 points at both; the
// rest is the kernel's per-CPU state.
#include <stdint.h>

#include "arch/x86_64/percpu.h"

namespace kernel {

constexpr unsigned kMaxCpus = 256;

struct Cpu {
    arch::ArchCpu arch;
    volatile bool online = false;
    uint64_t interrupts_by_vector[256] = {};  // per-CPU interrupt statistics
};

// The calling CPU (interrupts or preemption must be off for the answer to
// stay true).
inline Cpu* this_cpu() { return reinterpret_cast<Cpu*>(arch::this_arch_cpu()); }

unsigned cpu_count();         // CPUs online
Cpu* cpu_by_index(unsigned index);
Cpu& boot_cpu();

// Registers a CPU structure at a dense index (the boot CPU is 0).
void register_cpu(Cpu* cpu);

}  // namespace kernel
