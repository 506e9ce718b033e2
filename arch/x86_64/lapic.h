#pragma once
// The local APIC of each CPU: interrupt acknowledgement (EOI), inter-
// processor interrupts, and the per-CPU timer. xAPIC (memory-mapped
// registers at the APIC base) or x2APIC (MSRs 0x800+, Intel SDM Vol. 3A
// §11.12) when the CPU has it: one API either way.
#include <stdint.h>

namespace arch {

// Fixed vectors, above everything allocated to devices; the APIC takes the
// vector's upper 4 bits as its priority class, so these win.
constexpr uint8_t kVectorTimer = 0xf0;
constexpr uint8_t kVectorReschedule = 0xf1;
constexpr uint8_t kVectorCallFunction = 0xf2;
constexpr uint8_t kVectorTlbShootdown = 0xf3;
constexpr uint8_t kVectorApicError = 0xfe;
constexpr uint8_t kVectorSpurious = 0xff;
constexpr uint8_t kFirstDeviceVector = 0x30;
constexpr uint8_t kLastDeviceVector = 0xef;

// Once, on the boot CPU: picks xAPIC or x2APIC. `mmio_base` is the MADT's
// local APIC address (ignored in x2APIC mode).
void lapic_global_init(uint64_t mmio_base);
// On every CPU: enable the APIC, spurious vector, error vector, LINT
// masked, timer masked.
void lapic_init_this_cpu();
bool lapic_x2apic_mode();

uint32_t lapic_id();
void lapic_eoi();

// Inter-processor interrupts.
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
void lapic_send_init(uint32_t apic_id);
void lapic_send_startup(uint32_t apic_id, uint8_t page);  // SIPI: start at page * 4 KiB

// The timer. Either TSC-deadline mode (the interrupt fires when the TSC
// reaches a value: CPUID.01H:ECX[24]) or one-shot counting down from an
// initial count at the bus frequency divided by 16.
bool lapic_has_tsc_deadline();
void lapic_timer_stop();
void lapic_timer_arm_tsc_deadline(uint64_t tsc);
void lapic_timer_arm_oneshot(uint32_t ticks);
uint32_t lapic_timer_current_count();
// One-shot mode from the maximum count, for calibration.
void lapic_timer_start_free_running();

}  // namespace arch
