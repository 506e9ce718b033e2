#include "kernel/irq/irq.h"

#include "arch/x86_64/idt.h"
#include "arch/x86_64/interrupt_frame.h"
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/lapic.h"
#include "kernel/cpu.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/sync/guards.h"
#include "kernel/sync/spinlock.h"

namespace kirq {

namespace {

struct Descriptor {
    Handler handler = nullptr;
    void* context = nullptr;
    const char* name = nullptr;
    uint32_t gsi = 0;
    bool routed = false;
};

Descriptor descriptors[256];
ksync::SpinLock descriptor_lock;  // allocation and routing; dispatch reads without it

void count(const arch::InterruptFrame& frame) { ++kernel::this_cpu()->interrupts_by_vector[frame.vector & 0xff]; }

void dispatch_device(arch::InterruptFrame& frame) {
    count(frame);
    const Descriptor& d = descriptors[frame.vector & 0xff];
    if (d.handler != nullptr) {
        d.handler(d.context);
    } else {
        log_warn("irq: interrupt on vector %lu with no handler", frame.vector);
    }
    arch::lapic_eoi();
}

// The APIC delivers the spurious vector when an interrupt vanished before
// the CPU took it; it must not be acknowledged (SDM Vol. 3A §11.9).
void dispatch_spurious(arch::InterruptFrame& frame) { count(frame); }

void dispatch_apic_error(arch::InterruptFrame& frame) {
    count(frame);
    log_warn("irq: local APIC error on CPU %u", kernel::this_cpu()->arch.index);
    arch::lapic_eoi();
}

Handler fixed_handlers[256];

// Fixed vectors: acknowledge first, then run the handler, because the
// handler may switch threads (the timer's preemption) and the EOI must not
// wait until this thread runs again.
void dispatch_fixed(arch::InterruptFrame& frame) {
    count(frame);
    arch::lapic_eoi();
    Handler handler = fixed_handlers[frame.vector & 0xff];
    if (handler != nullptr) handler(&frame);
}

}  // namespace

void irq_init() {
    for (unsigned v = arch::kFirstDeviceVector; v <= arch::kLastDeviceVector; ++v) {
        arch::set_interrupt_handler(static_cast<uint8_t>(v), dispatch_device);
    }
    arch::set_interrupt_handler(arch::kVectorTimer, dispatch_fixed);
    arch::set_interrupt_handler(arch::kVectorReschedule, dispatch_fixed);
    arch::set_interrupt_handler(arch::kVectorCallFunction, dispatch_fixed);
    arch::set_interrupt_handler(arch::kVectorTlbShootdown, dispatch_fixed);
    arch::set_interrupt_handler(arch::kVectorApicError, dispatch_apic_error);
    arch::set_interrupt_handler(arch::kVectorSpurious, dispatch_spurious);
}

k::Result<uint8_t> allocate_vector() {
    kernel::SpinLockIrqSave guard(descriptor_lock);
    for (unsigned v = arch::kFirstDeviceVector; v <= arch::kLastDeviceVector; ++v) {
        if (!descriptors[v].routed && descriptors[v].handler == nullptr) {
            descriptors[v].routed = true;
            return static_cast<uint8_t>(v);
        }
    }
    return k::error(k::Errno::enospc);
}

k::Result<uint8_t> request_irq(uint32_t gsi, bool level_triggered, bool active_low, Handler handler, void* context,
                               const char* name) {
    uint8_t vector = TRY(allocate_vector());
    {
        kernel::SpinLockIrqSave guard(descriptor_lock);
        descriptors[vector] = Descriptor{handler, context, name, gsi, true};
    }
    if (!arch::ioapic_route(gsi, vector, kernel::boot_cpu().arch.apic_id,
                            active_low ? arch::Polarity::ActiveLow : arch::Polarity::ActiveHigh,
                            level_triggered ? arch::Trigger::Level : arch::Trigger::Edge, true)) {
        kernel::SpinLockIrqSave guard(descriptor_lock);
        descriptors[vector] = Descriptor{};
        return k::error(k::Errno::enodev);
    }
    return vector;
}

void enable(uint8_t vector) { arch::ioapic_set_masked(descriptors[vector].gsi, false); }
void disable(uint8_t vector) { arch::ioapic_set_masked(descriptors[vector].gsi, true); }

void set_timer_handler(Handler handler) { fixed_handlers[arch::kVectorTimer] = handler; }
void set_ipi_handler(uint8_t vector, Handler handler) { fixed_handlers[vector] = handler; }

uint64_t interrupt_count(unsigned cpu_index, uint8_t vector) {
    kernel::Cpu* cpu = kernel::cpu_by_index(cpu_index);
    return cpu == nullptr ? 0 : cpu->interrupts_by_vector[vector];
}

}  // namespace kirq
