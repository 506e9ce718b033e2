#include "kernel/drivers/serial_input.h"

#include "arch/x86_64/serial.h"
#include "kernel/drivers/console_input.h"
#include "kernel/irq/threaded_irq.h"
#include "kernel/log.h"
#include "kernel/platform.h"

namespace drivers {

namespace {

constexpr uint8_t kCom1IsaIrq = 4;
// The 16550's FIFO holds 16 bytes; a few more reads cover bytes arriving
// while we drain. Bounded, so a UART that always says "data ready" cannot
// hold the CPU in hard-IRQ context.
constexpr unsigned kMaxBytesPerInterrupt = 32;

struct SerialInput {
    IrqByteRing<256> ring;
    ConsoleInput* sink = nullptr;
    kirq::IrqAction* action = nullptr;
    uint64_t interrupts = 0;       // written by the primary only
    uint64_t bytes_received = 0;   // written by the primary only
    uint64_t sink_dropped = 0;     // written by the thread only
};

SerialInput serial;

kirq::IrqReturn serial_primary(void* context) {
    auto input = static_cast<SerialInput*>(context);
    unsigned count = 0;
    uint8_t byte;
    while (count < kMaxBytesPerInterrupt && arch::com1().read_byte(byte)) {
        input->ring.push(byte);
        ++count;
    }
    // Nothing received: the interrupt was another device's on a shared line.
    if (count == 0) return kirq::IrqReturn::None;
    __atomic_fetch_add(&input->interrupts, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&input->bytes_received, count, __ATOMIC_RELAXED);
    return kirq::IrqReturn::WakeThread;
}

void serial_thread(void* context) {
    auto input = static_cast<SerialInput*>(context);
    uint8_t chunk[32];
    size_t length = 0;
    uint8_t byte;
    for (;;) {
        const bool got = input->ring.pop(byte);
        if (got) chunk[length++] = byte;
        if (length == sizeof chunk || (!got && length > 0)) {
            input->sink_dropped += length - input->sink->push(chunk, length);
            length = 0;
        }
        if (!got) return;
    }
}

}  // namespace

k::Result<void> serial_input_start(ConsoleInput& sink) {
    if (serial.action != nullptr) return k::error(k::Errno::ebusy);
    if (!arch::com1().present()) return k::error(k::Errno::enodev);
    const k::AcpiInfo& acpi = kernel::acpi_info();
    if (acpi.io_apic_count == 0) return k::error(k::Errno::enodev);
    k::IsaIrqFlags flags;
    const uint32_t gsi = acpi.gsi_for_isa_irq(kCom1IsaIrq, &flags);
    const kirq::LineTrigger trigger{.level = flags.trigger == k::IrqTrigger::Level,
                                    .active_low = flags.polarity == k::IrqPolarity::ActiveLow};
    serial.sink = &sink;
    serial.action = TRY(kirq::request_threaded_irq(gsi, trigger, serial_primary, serial_thread, kirq::kIrqShared,
                                                   "serial-rx", &serial));
    arch::com1().enable_receive_interrupt();
    log_info("serial: COM1 receiving on GSI %u (ISA IRQ %u)", gsi, kCom1IsaIrq);
    return {};
}

SerialInputStats serial_input_stats() {
    return SerialInputStats{__atomic_load_n(&serial.interrupts, __ATOMIC_RELAXED),
                            __atomic_load_n(&serial.bytes_received, __ATOMIC_RELAXED),
                            serial.ring.dropped() + __atomic_load_n(&serial.sink_dropped, __ATOMIC_RELAXED)};
}

bool serial_input_running() { return serial.action != nullptr; }

}  // namespace drivers
