#pragma once
// Bringing the boot CPU into the kernel's own descriptor tables.
namespace arch {

// GDT + TSS (with IST stacks), IDT with the exception handlers, legacy PICs
// masked (the LAPIC/IOAPIC take over later), CPU features detected.
void init_boot_cpu();

}  // namespace arch
