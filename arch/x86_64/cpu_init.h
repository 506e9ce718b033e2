#pragma once
#include <stdint.h>

// Bringing the boot CPU into the kernel's own descriptor tables.
namespace arch {

struct ArchCpu;

// GDT + TSS (with IST stacks), IDT with the exception handlers, legacy PICs
// masked (the LAPIC/IOAPIC take over later), CPU features detected.
// `cpu` becomes the CPU's per-CPU area (GS).
void init_boot_cpu(ArchCpu* cpu);

// The same for an application processor, on that processor. `ist_stacks`
// holds 3 x kIstStackSize bytes.
void init_application_cpu(ArchCpu* cpu, uint8_t* ist_stacks);

}  // namespace arch
