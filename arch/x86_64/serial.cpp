#include "arch/x86_64/serial.h"

#include "arch/x86_64/cpu.h"

namespace arch {

namespace {
// 16550 register offsets (National Semiconductor PC16550D data sheet).
constexpr unsigned kData = 0;          // THR/RBR, or divisor low with DLAB
constexpr unsigned kInterruptEnable = 1;  // or divisor high with DLAB
constexpr unsigned kFifoControl = 2;
constexpr unsigned kLineControl = 3;
constexpr unsigned kModemControl = 4;
constexpr unsigned kLineStatus = 5;
constexpr unsigned kScratch = 7;
constexpr uint8_t kLineStatusDataReady = 0x01;
constexpr uint8_t kLineStatusTransmitEmpty = 0x20;
constexpr uint8_t kInterruptReceivedData = 0x01;  // IER bit 0 (also the FIFO's character time-out)
constexpr uint8_t kModemControlDtrRts = 0x03;
constexpr uint8_t kModemControlOut2 = 0x08;       // routes the UART's interrupt to the PIC/IO APIC pin
constexpr uint8_t kDlab = 0x80;
}  // namespace

bool SerialPort::initialize() {
    // The scratch register holds what we write only if a UART is there.
    outb(base_ + kScratch, 0x5a);
    if (inb(base_ + kScratch) != 0x5a) return present_ = false;
    outb(base_ + kInterruptEnable, 0x00);
    outb(base_ + kLineControl, kDlab);
    outb(base_ + kData, 1);  // divisor 1: 115200 baud
    outb(base_ + kInterruptEnable, 0);
    outb(base_ + kLineControl, 0x03);  // 8 data bits, no parity, 1 stop bit
    outb(base_ + kFifoControl, 0xc7);  // enable and clear FIFOs, 14-byte threshold
    outb(base_ + kModemControl, kModemControlDtrRts);
    return present_ = true;
}

void SerialPort::put(char c) {
    // Bounded wait: a wedged UART must not hang the kernel's log.
    for (int spins = 0; spins < 100000; ++spins) {
        if (inb(base_ + kLineStatus) & kLineStatusTransmitEmpty) break;
        pause();
    }
    outb(base_ + kData, static_cast<uint8_t>(c));
}

void SerialPort::write(const char* text, size_t length) {
    if (!present_) return;
    for (size_t i = 0; i < length; ++i) {
        if (text[i] == '\n') put('\r');
        put(text[i]);
    }
}

void SerialPort::enable_receive_interrupt() {
    if (!present_) return;
    outb(base_ + kModemControl, kModemControlDtrRts | kModemControlOut2);
    // Bytes already waiting raise the interrupt at once: none are lost.
    outb(base_ + kInterruptEnable, kInterruptReceivedData);
}

void SerialPort::disable_receive_interrupt() {
    if (!present_) return;
    outb(base_ + kInterruptEnable, 0);
    outb(base_ + kModemControl, kModemControlDtrRts);
}

bool SerialPort::read_byte(uint8_t& byte) {
    if (!present_ || !(inb(base_ + kLineStatus) & kLineStatusDataReady)) return false;
    byte = inb(base_ + kData);
    return true;
}

SerialPort& com1() {
    static SerialPort port(0x3f8);
    return port;
}

}  // namespace arch
