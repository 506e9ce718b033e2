#pragma once
// Time: the TSC, calibrated once against the HPET (or the PIT when there is
// none), gives a monotonic clock in nanoseconds on every CPU; the local
// APIC timer is programmed for the next event only (no periodic tick).
#include <stdint.h>

namespace ktime {

constexpr uint64_t kNsPerSecond = 1000000000;

struct ClockInfo {
    uint64_t tsc_hz;
    uint64_t lapic_timer_hz;  // after the divide-by-16; 0 in TSC-deadline mode
    bool invariant_tsc;
    bool tsc_deadline;
    const char* reference;    // "HPET" or "PIT"
};

// Calibrates on the boot CPU (interrupts off). `hpet_phys` is 0 without an HPET.
void clock_init(uint64_t hpet_phys);
const ClockInfo& clock_info();

uint64_t monotonic_ns();
uint64_t ns_to_tsc_delta(uint64_t ns);
uint64_t tsc_to_ns(uint64_t tsc);

// Programs this CPU's local APIC timer to interrupt at monotonic time
// `deadline_ns` (or stops it for UINT64_MAX).
void program_timer_at(uint64_t deadline_ns);

}  // namespace ktime
