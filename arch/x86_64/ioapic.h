#pragma once
// I/O APICs: they turn device interrupt lines (global system interrupts,
// GSIs) into messages to a CPU's local APIC, one redirection entry per line
// (Intel 82093AA I/O APIC datasheet §3.2.4).
#include <stdint.h>

namespace arch {

enum class Polarity : uint8_t { ActiveHigh, ActiveLow };
enum class Trigger : uint8_t { Edge, Level };

// Registers an I/O APIC found in the MADT; masks all its lines.
bool ioapic_add(uint32_t id, uint64_t mmio_phys, uint32_t gsi_base);
unsigned ioapic_count();

// Routes a GSI to `vector` on the CPU with `apic_id`, masked or not.
// False if no I/O APIC serves that GSI.
bool ioapic_route(uint32_t gsi, uint8_t vector, uint32_t apic_id, Polarity polarity, Trigger trigger, bool masked);
bool ioapic_set_masked(uint32_t gsi, bool masked);

}  // namespace arch
