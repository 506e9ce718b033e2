#pragma once
// Starting the application processors listed in the ACPI MADT.
#include "libk/acpi.h"

namespace kernel {

// Starts every enabled CPU other than the boot CPU (INIT-SIPI-SIPI through
// the trampoline), waits for each to come online or gives up on it, and
// returns the number of CPUs online.
unsigned smp_start_application_processors(const k::AcpiInfo& acpi);

// What each AP runs once its per-CPU state is up; set before starting them.
using ApIdleLoop = void (*)();
void smp_set_ap_idle_loop(ApIdleLoop loop);

}  // namespace kernel
