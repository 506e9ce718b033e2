#pragma once
// The 8254 programmable interval timer: 1.193182 MHz on every PC. Only used
// to measure how fast the TSC and the local APIC timer run, when there is
// no HPET: channel 2 counts down once, and the caller polls for the end.
#include <stdint.h>

namespace arch {

constexpr uint32_t kPitFrequencyHz = 1193182;

void pit_channel2_start(uint16_t count);
bool pit_channel2_done();

}  // namespace arch
