#pragma once
// The 16550 UART at COM1: the kernel's first and most reliable console.
#include <stddef.h>
#include <stdint.h>

namespace arch {

class SerialPort {
public:
    explicit constexpr SerialPort(unsigned short base) : base_(base) {}
    // Programs 115200 8N1 with FIFOs; returns false if no UART answers.
    bool initialize();
    bool present() const { return present_; }
    void write(const char* text, size_t length);

    // Receiving. The UART raises its interrupt line (COM1: ISA IRQ 4) while
    // received bytes wait, once "received data available" is enabled; OUT2
    // gates that line on PC hardware, so it is set too.
    void enable_receive_interrupt();
    void disable_receive_interrupt();
    // One received byte, if one is waiting (line status "data ready").
    bool read_byte(uint8_t& byte);

private:
    void put(char c);
    unsigned short base_;
    bool present_ = false;
};

SerialPort& com1();

}  // namespace arch
