#pragma once
// Running a function on other CPUs through an IPI, and TLB shootdown on top
// of it: when a kernel mapping changes, every other CPU drops its stale
// translation before the change counts as done.
#include <stdint.h>

namespace kernel {

void smp_call_init();

using CpuFunction = void (*)(void* argument);

// Runs fn(argument) on CPU `index` (directly when it is the caller) and
// waits until it has run. Interrupts must be enabled on the caller unless
// the target is itself. False if that CPU is not online.
bool call_on_cpu(unsigned index, CpuFunction fn, void* argument);
// Runs it on every online CPU but the caller, and waits for all.
void call_on_other_cpus(CpuFunction fn, void* argument);

// Invalidates [virt, virt + length) in every other online CPU's TLB (the
// caller's own invlpg is the mapper's job). Everything if length is huge.
void tlb_shootdown(uint64_t virt, uint64_t length);

}  // namespace kernel
