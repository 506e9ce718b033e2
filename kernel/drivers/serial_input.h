#pragma once
// COM1's receiver on a threaded interrupt (ISA IRQ 4 through the I/O APIC):
// the primary handler drains the UART's FIFO into a ring, the IRQ thread
// moves the bytes into a ConsoleInput.
#include <stdint.h>

#include "libk/result.h"

namespace drivers {

class ConsoleInput;

// ENODEV when there is no UART or no I/O APIC; EBUSY if already started.
k::Result<void> serial_input_start(ConsoleInput& sink);

struct SerialInputStats {
    uint64_t interrupts;      // primary calls that found bytes
    uint64_t bytes_received;  // read from the UART
    uint64_t bytes_dropped;   // ring or console queue full
};
SerialInputStats serial_input_stats();
bool serial_input_running();

}  // namespace drivers
