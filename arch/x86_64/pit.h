#pragma once
// The 8254 programmable interval timer: 1.193182 MHz on every PC. Only used
// to measure how fast the TSC and the local APIC timer run, when there is
// no HPET: channel 2 counts down once, and the caller polls for the end.
#include <stdint.h>

namespace arch {

constexpr uint32_t kPitFrequencyHz = 1193182;

void pit_channel2_start(uint16_t count);
bool pit_channel2_done();

// Channel 0, wired to ISA IRQ 0: a periodic interrupt source for testing the
// I/O APIC path (the kernel's own timing uses the local APIC timer).
void pit_channel0_start_periodic(uint32_t hz);
void pit_channel0_stop();

}  // namespace arch
