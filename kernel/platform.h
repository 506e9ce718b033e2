#pragma once
// Bringing up the machine around the CPUs: ACPI tables, interrupt
// controllers, the clock, the other CPUs.
#include "libk/acpi.h"

namespace kernel {

// After memory management is up, before interrupts are enabled.
void platform_init();
const k::AcpiInfo& acpi_info();

}  // namespace kernel
