#pragma once
// The HPET's main counter (IA-PC HPET specification 1.0a §2.3): a free-
// running up-counter with a period in femtoseconds, read for calibration
// and as a cross-check of the TSC.
#include <stdint.h>

namespace arch {

// Enables the counter at `mmio_phys`; false if the registers look absent.
bool hpet_init(uint64_t mmio_phys);
bool hpet_present();
uint64_t hpet_counter();
uint64_t hpet_period_fs();  // femtoseconds per counter tick

}  // namespace arch
