#include "arch/x86_64/lapic.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "kernel/mm/layout.h"

namespace arch {

namespace {

// Register offsets in the xAPIC page; the x2APIC MSR is 0x800 + offset / 16
// (Intel SDM Vol. 3A Table 11-1 and Table 11-6).
enum Register : uint32_t {
    kId = 0x20,
    kTaskPriority = 0x80,
    kEoi = 0xb0,
    kSpuriousVector = 0xf0,
    kErrorStatus = 0x280,
    kIcrLow = 0x300,
    kIcrHigh = 0x310,
    kLvtTimer = 0x320,
    kLvtLint0 = 0x350,
    kLvtLint1 = 0x360,
    kLvtError = 0x370,
    kTimerInitialCount = 0x380,
    kTimerCurrentCount = 0x390,
    kTimerDivide = 0x3e0,
};

constexpr uint32_t kMsrApicBase = 0x1b;
constexpr uint64_t kApicBaseEnable = 1u << 11;
constexpr uint64_t kApicBaseX2apic = 1u << 10;
constexpr uint32_t kMsrTscDeadline = 0x6e0;
constexpr uint32_t kLvtMasked = 1u << 16;
constexpr uint32_t kTimerModeTscDeadline = 2u << 17;
constexpr uint32_t kSoftwareEnable = 1u << 8;
constexpr uint32_t kIcrDeliveryPending = 1u << 12;
constexpr uint32_t kIcrLevelAssert = 1u << 14;
constexpr uint32_t kIcrDeliveryInit = 5u << 8;
constexpr uint32_t kIcrDeliveryStartup = 6u << 8;

bool x2apic = false;
bool tsc_deadline = false;
volatile uint32_t* mmio = nullptr;

uint32_t read(Register reg) {
    if (x2apic) return static_cast<uint32_t>(read_msr(0x800 + reg / 16));
    return mmio[reg / 4];
}

void write(Register reg, uint32_t value) {
    if (x2apic) {
        write_msr(0x800 + reg / 16, value);
    } else {
        mmio[reg / 4] = value;
    }
}

// The interrupt command register: one 64-bit MSR in x2APIC mode, two
// 32-bit registers (destination high, command low, written last) in xAPIC.
void write_icr(uint32_t destination, uint32_t command) {
    if (x2apic) {
        write_msr(0x800 + kIcrLow / 16, (uint64_t{destination} << 32) | command);
        return;
    }
    write(kIcrHigh, destination << 24);
    write(kIcrLow, command);
    // xAPIC: wait until the APIC has accepted it before the next one.
    for (int spins = 0; spins < 1000000 && (read(kIcrLow) & kIcrDeliveryPending); ++spins) pause();
}

}  // namespace

void lapic_global_init(uint64_t mmio_base) {
    x2apic = cpu_features().x2apic;
    tsc_deadline = cpuid(1).ecx & (1u << 24);
    mmio = mm::phys_to_virt<volatile uint32_t>(mmio_base);
}

void lapic_init_this_cpu() {
    uint64_t base = read_msr(kMsrApicBase) | kApicBaseEnable;
    if (x2apic) base |= kApicBaseX2apic;
    write_msr(kMsrApicBase, base);
    write(kTaskPriority, 0);
    write(kSpuriousVector, kSoftwareEnable | kVectorSpurious);
    write(kLvtLint0, kLvtMasked);
    write(kLvtLint1, kLvtMasked);
    write(kLvtError, kVectorApicError);
    write(kErrorStatus, 0);  // the ESR must be written before it is read (SDM §11.5.3)
    write(kErrorStatus, 0);
    write(kTimerDivide, 0x3);  // divide by 16
    write(kLvtTimer, kLvtMasked | kVectorTimer);
    lapic_eoi();
}

bool lapic_x2apic_mode() { return x2apic; }

uint32_t lapic_id() { return x2apic ? read(kId) : read(kId) >> 24; }

void lapic_eoi() { write(kEoi, 0); }

void lapic_send_ipi(uint32_t apic_id, uint8_t vector) { write_icr(apic_id, vector); }
void lapic_send_init(uint32_t apic_id) { write_icr(apic_id, kIcrDeliveryInit | kIcrLevelAssert); }
void lapic_send_startup(uint32_t apic_id, uint8_t page) { write_icr(apic_id, kIcrDeliveryStartup | page); }

bool lapic_has_tsc_deadline() { return tsc_deadline; }

void lapic_timer_stop() {
    write(kLvtTimer, kLvtMasked | kVectorTimer);
    write(kTimerInitialCount, 0);
    if (tsc_deadline) write_msr(kMsrTscDeadline, 0);
}

void lapic_timer_arm_tsc_deadline(uint64_t tsc) {
    write(kLvtTimer, kTimerModeTscDeadline | kVectorTimer);
    // The LVT write must be seen before the deadline MSR (SDM §11.5.4.1):
    // an mfence orders the two (x2APIC MSR writes are not serializing).
    asm volatile("mfence" ::: "memory");
    write_msr(kMsrTscDeadline, tsc == 0 ? 1 : tsc);
}

void lapic_timer_arm_oneshot(uint32_t ticks) {
    write(kLvtTimer, kVectorTimer);
    write(kTimerInitialCount, ticks == 0 ? 1 : ticks);
}

uint32_t lapic_timer_current_count() { return read(kTimerCurrentCount); }

void lapic_timer_start_free_running() {
    write(kLvtTimer, kLvtMasked | kVectorTimer);
    write(kTimerInitialCount, 0xffffffff);
}

}  // namespace arch
