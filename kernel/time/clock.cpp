#include "kernel/time/clock.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "arch/x86_64/hpet.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/pit.h"
#include "kernel/log.h"

namespace ktime {

namespace {

ClockInfo info;
uint64_t tsc_at_zero;       // the TSC value that monotonic time 0 corresponds to
uint64_t ns_per_tsc_mult;   // ns = (tsc * mult) >> 32
uint64_t tsc_per_ns_mult;   // tsc = (ns * mult) >> 32

uint64_t mul_shift32(uint64_t value, uint64_t mult) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(value) * mult) >> 32);
}

struct Sample {
    uint64_t tsc_ticks;
    uint64_t lapic_ticks;
    uint64_t elapsed_ns;
};

// About 10 ms against the reference clock, reading the TSC and the APIC
// timer's count at both ends.
Sample measure_once() {
    constexpr uint64_t kWindowNs = 10000000;
    arch::lapic_timer_start_free_running();
    Sample s{};
    if (arch::hpet_present()) {
        const uint64_t period = arch::hpet_period_fs();
        const uint64_t target_ticks = kWindowNs * 1000000 / period;
        uint64_t h0 = arch::hpet_counter();
        uint64_t t0 = arch::read_tsc();
        uint32_t l0 = arch::lapic_timer_current_count();
        uint64_t h1 = h0;
        for (uint64_t spins = 0; spins < 1000000000 && h1 - h0 < target_ticks; ++spins) h1 = arch::hpet_counter();
        uint64_t t1 = arch::read_tsc();
        uint32_t l1 = arch::lapic_timer_current_count();
        s = Sample{t1 - t0, uint64_t{l0} - l1, (h1 - h0) * period / 1000000};
    } else {
        const uint16_t count = static_cast<uint16_t>(uint64_t{arch::kPitFrequencyHz} * kWindowNs / kNsPerSecond);
        arch::pit_channel2_start(count);
        uint64_t t0 = arch::read_tsc();
        uint32_t l0 = arch::lapic_timer_current_count();
        for (uint64_t spins = 0; spins < 1000000000 && !arch::pit_channel2_done(); ++spins) {
        }
        uint64_t t1 = arch::read_tsc();
        uint32_t l1 = arch::lapic_timer_current_count();
        s = Sample{t1 - t0, uint64_t{l0} - l1, uint64_t{count} * kNsPerSecond / arch::kPitFrequencyHz};
    }
    arch::lapic_timer_stop();
    return s;
}

}  // namespace

void clock_init(uint64_t hpet_phys) {
    info.reference = (hpet_phys != 0 && arch::hpet_init(hpet_phys)) ? "HPET" : "PIT";
    // Three windows, keep the median rate: one window can be stretched by
    // an SMI on real hardware or a host hiccup under QEMU.
    uint64_t tsc_rates[3], lapic_rates[3];
    for (int i = 0; i < 3; ++i) {
        Sample s = measure_once();
        if (s.elapsed_ns == 0) s.elapsed_ns = 1;
        tsc_rates[i] = static_cast<uint64_t>(static_cast<unsigned __int128>(s.tsc_ticks) * kNsPerSecond / s.elapsed_ns);
        lapic_rates[i] = static_cast<uint64_t>(static_cast<unsigned __int128>(s.lapic_ticks) * kNsPerSecond / s.elapsed_ns);
    }
    auto median = [](uint64_t* v) {
        if (v[0] > v[1]) { uint64_t t = v[0]; v[0] = v[1]; v[1] = t; }
        if (v[1] > v[2]) { uint64_t t = v[1]; v[1] = v[2]; v[2] = t; }
        if (v[0] > v[1]) { uint64_t t = v[0]; v[0] = v[1]; v[1] = t; }
        return v[1];
    };
    info.tsc_hz = median(tsc_rates);
    info.lapic_timer_hz = median(lapic_rates);
    if (info.tsc_hz == 0) info.tsc_hz = 1000000000;  // a broken reference: assume 1 GHz rather than divide by 0
    info.invariant_tsc = arch::cpu_features().invariant_tsc;
    info.tsc_deadline = arch::lapic_has_tsc_deadline();
    ns_per_tsc_mult = (kNsPerSecond << 32) / info.tsc_hz;
    tsc_per_ns_mult = static_cast<uint64_t>((static_cast<unsigned __int128>(info.tsc_hz) << 32) / kNsPerSecond);
    tsc_at_zero = arch::read_tsc();
    log_info("time: TSC %lu.%03lu MHz%s, APIC timer %lu kHz, %s, calibrated against the %s",
             info.tsc_hz / 1000000, (info.tsc_hz / 1000) % 1000, info.invariant_tsc ? " (invariant)" : " (not invariant)",
             info.lapic_timer_hz / 1000, info.tsc_deadline ? "TSC-deadline mode" : "one-shot mode", info.reference);
    if (!info.invariant_tsc) log_warn("time: the TSC may change rate with power states; the clock may drift");
}

const ClockInfo& clock_info() { return info; }

uint64_t monotonic_ns() { return mul_shift32(arch::read_tsc() - tsc_at_zero, ns_per_tsc_mult); }
uint64_t tsc_to_ns(uint64_t tsc) { return mul_shift32(tsc, ns_per_tsc_mult); }
uint64_t ns_to_tsc_delta(uint64_t ns) { return mul_shift32(ns, tsc_per_ns_mult); }

void program_timer_at(uint64_t deadline_ns) {
    if (deadline_ns == UINT64_MAX) {
        arch::lapic_timer_stop();
        return;
    }
    if (info.tsc_deadline) {
        arch::lapic_timer_arm_tsc_deadline(tsc_at_zero + ns_to_tsc_delta(deadline_ns));
        return;
    }
    uint64_t now = monotonic_ns();
    uint64_t delta = deadline_ns > now ? deadline_ns - now : 0;
    uint64_t ticks = static_cast<uint64_t>(static_cast<unsigned __int128>(delta) * info.lapic_timer_hz / kNsPerSecond);
    arch::lapic_timer_arm_oneshot(ticks > 0xffffffff ? 0xffffffff : static_cast<uint32_t>(ticks));
}

}  // namespace ktime
