#include "arch/x86_64/ps2.h"

#include "arch/x86_64/cpu.h"

namespace arch::ps2 {

namespace {

constexpr uint16_t kDataPort = 0x60;
constexpr uint16_t kStatusPort = 0x64;  // read: status; write: command

constexpr uint8_t kStatusOutputFull = 0x01;  // a byte waits at 0x60 for the CPU
constexpr uint8_t kStatusInputFull = 0x02;   // the controller has not taken our last byte yet
constexpr uint8_t kStatusFromPort2 = 0x20;   // the waiting byte is the mouse's

// Each status read is an I/O access of about a microsecond on real
// hardware: this bounds a wait to roughly 100 ms.
constexpr unsigned kMaxPolls = 100000;
constexpr unsigned kMaxFlush = 64;  // more than any controller buffers

bool wait_until_writable() {
    for (unsigned i = 0; i < kMaxPolls; ++i) {
        if (!(inb(kStatusPort) & kStatusInputFull)) return true;
        pause();
    }
    return false;
}

}  // namespace

bool controller_present() { return inb(kStatusPort) != 0xff; }

bool write_command(uint8_t command) {
    if (!wait_until_writable()) return false;
    outb(kStatusPort, command);
    return true;
}

bool write_data(uint8_t byte) {
    if (!wait_until_writable()) return false;
    outb(kDataPort, byte);
    return true;
}

bool read_data(uint8_t& byte) {
    for (unsigned i = 0; i < kMaxPolls; ++i) {
        if (inb(kStatusPort) & kStatusOutputFull) {
            byte = inb(kDataPort);
            return true;
        }
        pause();
    }
    return false;
}

bool try_read_data(uint8_t& byte) {
    const uint8_t status = inb(kStatusPort);
    if (!(status & kStatusOutputFull)) return false;
    byte = inb(kDataPort);
    // A mouse byte is read (it would block the buffer otherwise) but not ours.
    return !(status & kStatusFromPort2);
}

unsigned flush() {
    unsigned count = 0;
    while (count < kMaxFlush && (inb(kStatusPort) & kStatusOutputFull)) {
        inb(kDataPort);
        ++count;
    }
    return count;
}

bool read_config(uint8_t& config) { return write_command(kCommandReadConfig) && read_data(config); }

bool write_config(uint8_t config) { return write_command(kCommandWriteConfig) && write_data(config); }

}  // namespace arch::ps2
