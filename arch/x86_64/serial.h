#pragma once
// The 16550 UART at COM1: the kernel's first and most reliable console.
#include <stddef.h>

namespace arch {

class SerialPort {
public:
    explicit constexpr SerialPort(unsigned short base) : base_(base) {}
    // Programs 115200 8N1 with FIFOs; returns false if no UART answers.
    bool initialize();
    bool present() const { return present_; }
    void write(const char* text, size_t length);

private:
    void put(char c);
    unsigned short base_;
    bool present_ = false;
};

SerialPort& com1();

}  // namespace arch
