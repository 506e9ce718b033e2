#pragma once
// A PS/2 keyboard behind the 8042 controller, on a threaded interrupt (ISA
// IRQ 1 through the I/O APIC): the primary handler takes the scancode bytes
// off port 0x60, the IRQ thread decodes them (kernel/drivers/scancode.h)
// and pushes ASCII into a ConsoleInput.
#include <stdint.h>

#include "kernel/drivers/scancode.h"
#include "libk/result.h"

namespace drivers {

class ConsoleInput;

// ENODEV when there is no controller (or it does not answer) or no I/O
// APIC; EBUSY if already started.
k::Result<void> ps2_keyboard_start(ConsoleInput& sink);

struct Ps2KeyboardStats {
    uint64_t interrupts;    // primary calls that found a byte
    uint64_t scancodes;     // bytes read from the controller
    uint64_t characters;    // ASCII bytes decoded
    uint64_t dropped;       // ring or console queue full
    ScancodeSet set;        // what the CPU receives
};
Ps2KeyboardStats ps2_keyboard_stats();
bool ps2_keyboard_running();

}  // namespace drivers
