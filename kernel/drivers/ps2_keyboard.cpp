#include "kernel/drivers/ps2_keyboard.h"

#include "arch/x86_64/ps2.h"
#include "kernel/drivers/console_input.h"
#include "kernel/irq/threaded_irq.h"
#include "kernel/log.h"
#include "kernel/platform.h"

namespace drivers {

namespace {

constexpr uint8_t kKeyboardIsaIrq = 1;
// Keyboard commands and replies (IBM PS/2 keyboard technical reference).
constexpr uint8_t kKeyboardEnableScanning = 0xf4;
constexpr uint8_t kKeyboardAck = 0xfa;
// The controller interrupts once per byte; a few more reads pick up bytes
// that arrived meanwhile, bounded so a stuck status bit cannot hold the CPU.
constexpr unsigned kMaxBytesPerInterrupt = 8;

struct Keyboard {
    IrqByteRing<128> ring;
    ScancodeDecoder decoder{ScancodeSet::Set1};  // only the IRQ thread touches it
    ConsoleInput* sink = nullptr;
    kirq::IrqAction* action = nullptr;
    uint64_t interrupts = 0;   // written by the primary only
    uint64_t scancodes = 0;    // written by the primary only
    uint64_t characters = 0;   // written by the thread only
    uint64_t sink_dropped = 0; // written by the thread only
};

Keyboard keyboard;

kirq::IrqReturn keyboard_primary(void* context) {
    auto kbd = static_cast<Keyboard*>(context);
    unsigned count = 0;
    uint8_t byte;
    while (count < kMaxBytesPerInterrupt && arch::ps2::try_read_data(byte)) {
        kbd->ring.push(byte);
        ++count;
    }
    if (count == 0) return kirq::IrqReturn::None;
    __atomic_fetch_add(&kbd->interrupts, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&kbd->scancodes, count, __ATOMIC_RELAXED);
    return kirq::IrqReturn::WakeThread;
}

void keyboard_thread(void* context) {
    auto kbd = static_cast<Keyboard*>(context);
    uint8_t byte;
    while (kbd->ring.pop(byte)) {
        char ascii;
        if (!kbd->decoder.feed(byte, ascii)) continue;
        __atomic_fetch_add(&kbd->characters, 1, __ATOMIC_RELAXED);
        if (!kbd->sink->push(static_cast<uint8_t>(ascii))) __atomic_fetch_add(&kbd->sink_dropped, 1, __ATOMIC_RELAXED);
    }
}

// Quiets the controller and reads its configuration: both ports off, output
// buffer emptied. Returns the configuration as found.
k::Result<uint8_t> quiesce_controller() {
    if (!arch::ps2::controller_present()) return k::error(k::Errno::enodev);
    if (!arch::ps2::write_command(arch::ps2::kCommandDisablePort1) ||
        !arch::ps2::write_command(arch::ps2::kCommandDisablePort2)) {
        return k::error(k::Errno::enodev);
    }
    arch::ps2::flush();
    uint8_t config;
    if (!arch::ps2::read_config(config)) return k::error(k::Errno::enodev);
    return config;
}

}  // namespace

k::Result<void> ps2_keyboard_start(ConsoleInput& sink) {
    if (keyboard.action != nullptr) return k::error(k::Errno::ebusy);
    const k::AcpiInfo& acpi = kernel::acpi_info();
    if (acpi.io_apic_count == 0) return k::error(k::Errno::enodev);
    const uint8_t found = TRY(quiesce_controller());

    // Port 1 clocked, no interrupts yet (the keyboard's ACK is polled
    // below); the mouse port stays off. Translation stays as the firmware
    // left it: it decides which scancode set reaches us.
    const bool translated = arch::ps2::translation_enabled(found);
    uint8_t config = static_cast<uint8_t>(found & ~(arch::ps2::kConfigPort1Interrupt | arch::ps2::kConfigPort2Interrupt |
                                                   arch::ps2::kConfigPort1ClockOff));
    if (!arch::ps2::write_config(config) || !arch::ps2::write_command(arch::ps2::kCommandEnablePort1)) {
        return k::error(k::Errno::enodev);
    }
    // Firmware may have left scanning off. A keyboard that does not answer
    // is logged and tolerated: the controller is there, the keyboard may not be.
    uint8_t reply = 0;
    if (!arch::ps2::write_data(kKeyboardEnableScanning) || !arch::ps2::read_data(reply) || reply != kKeyboardAck) {
        log_warn("ps2: keyboard did not acknowledge \"enable scanning\" (reply 0x%x)", reply);
    }
    arch::ps2::flush();

    // Without translation the keyboard's own default, set 2, arrives.
    keyboard.decoder = ScancodeDecoder(translated ? ScancodeSet::Set1 : ScancodeSet::Set2);
    keyboard.sink = &sink;
    k::IsaIrqFlags flags;
    const uint32_t gsi = acpi.gsi_for_isa_irq(kKeyboardIsaIrq, &flags);
    const kirq::LineTrigger trigger{.level = flags.trigger == k::IrqTrigger::Level,
                                    .active_low = flags.polarity == k::IrqPolarity::ActiveLow};
    keyboard.action = TRY(kirq::request_threaded_irq(gsi, trigger, keyboard_primary, keyboard_thread, kirq::kIrqShared,
                                                     "ps2-kbd", &keyboard));
    if (!arch::ps2::write_config(static_cast<uint8_t>(config | arch::ps2::kConfigPort1Interrupt))) {
        kirq::free_threaded_irq(keyboard.action);
        keyboard.action = nullptr;
        return k::error(k::Errno::enodev);
    }
    log_info("ps2: keyboard on GSI %u (ISA IRQ %u), scancode set %s", gsi, kKeyboardIsaIrq,
             translated ? "1 (translated by the 8042)" : "2");
    return {};
}

Ps2KeyboardStats ps2_keyboard_stats() {
    return Ps2KeyboardStats{__atomic_load_n(&keyboard.interrupts, __ATOMIC_RELAXED),
                            __atomic_load_n(&keyboard.scancodes, __ATOMIC_RELAXED),
                            __atomic_load_n(&keyboard.characters, __ATOMIC_RELAXED),
                            keyboard.ring.dropped() + __atomic_load_n(&keyboard.sink_dropped, __ATOMIC_RELAXED),
                            keyboard.decoder.set()};
}

bool ps2_keyboard_running() { return keyboard.action != nullptr; }

}  // namespace drivers
