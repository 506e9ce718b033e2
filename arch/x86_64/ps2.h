#pragma once
// The 8042 PS/2 controller's port I/O: a data port (0x60) and a
// status/command port (0x64). The controller is slow hardware: every wait
// for it is bounded, so a missing or wedged controller costs a few
// milliseconds, never a hang. The keyboard driver (kernel/drivers/
// ps2_keyboard.cpp) builds on these.
#include <stdint.h>

namespace arch::ps2 {

// Configuration byte ("command byte"), read with command 0x20, written with 0x60.
constexpr uint8_t kConfigPort1Interrupt = 0x01;
constexpr uint8_t kConfigPort2Interrupt = 0x02;
constexpr uint8_t kConfigPort1ClockOff = 0x10;
constexpr uint8_t kConfigPort2ClockOff = 0x20;
constexpr uint8_t kConfigTranslation = 0x40;  // keyboard's set 2 reaches the CPU as set 1

// Controller commands (port 0x64).
constexpr uint8_t kCommandReadConfig = 0x20;
constexpr uint8_t kCommandWriteConfig = 0x60;
constexpr uint8_t kCommandDisablePort2 = 0xa7;
constexpr uint8_t kCommandDisablePort1 = 0xad;
constexpr uint8_t kCommandEnablePort1 = 0xae;

// A floating bus reads 0xff: no controller there (or one that is broken).
bool controller_present();

// Waits (bounded) until the controller accepts a byte; false on time-out.
bool write_command(uint8_t command);
// A byte to the device on port 1 (the keyboard).
bool write_data(uint8_t byte);
// Waits (bounded) for a byte from the controller or the keyboard.
bool read_data(uint8_t& byte);
// No waiting: a byte if one is there (from the first port, not the mouse's).
// For the interrupt handler.
bool try_read_data(uint8_t& byte);
// Throws away whatever waits in the output buffer; returns how many bytes.
unsigned flush();

bool read_config(uint8_t& config);
bool write_config(uint8_t config);
inline bool translation_enabled(uint8_t config) { return (config & kConfigTranslation) != 0; }

}  // namespace arch::ps2
