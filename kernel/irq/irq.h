#pragma once
// The interrupt core: device vectors handed out on request, one descriptor
// per vector, acknowledgement (EOI) after the handler, per-CPU counts.
// Threaded handlers (request_threaded_irq) build on this in kernel/irq/.
#include <stdint.h>

#include "libk/result.h"

namespace arch {
struct InterruptFrame;
}

namespace kirq {

using Handler = void (*)(void* context);

// Installs the handlers for the fixed vectors (timer, IPIs, spurious, APIC
// error) and routes every other vector through the descriptor table.
void irq_init();

// A free device vector, or enospc.
k::Result<uint8_t> allocate_vector();

// Routes the I/O APIC line `gsi` to a new vector on the boot CPU with the
// given handler; level/edge and polarity from the caller (ISA IRQs: see
// k::AcpiInfo::gsi_for_isa_irq). Starts masked; enable() unmasks.
k::Result<uint8_t> request_irq(uint32_t gsi, bool level_triggered, bool active_low, Handler handler, void* context,
                               const char* name);
void enable(uint8_t vector);
void disable(uint8_t vector);

// Handlers for the fixed vectors, set by the subsystems that own them.
void set_timer_handler(Handler handler);
void set_ipi_handler(uint8_t vector, Handler handler);

uint64_t interrupt_count(unsigned cpu_index, uint8_t vector);

}  // namespace kirq
