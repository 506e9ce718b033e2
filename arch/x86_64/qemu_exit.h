#pragma once
// Leaving QEMU with a status the test runner can read: QEMU's isa-debug-exit
// device (-device isa-debug-exit,iobase=0xf4,iosize=0x04) turns a write of v
// into the process exit code (v << 1) | 1. On real hardware the port is
// unused and the write does nothing, so callers halt afterwards.
#include <stdint.h>

#include "arch/x86_64/cpu.h"

namespace arch {

enum class QemuExitStatus : uint8_t {
    kSuccess = 0x10,  // QEMU exits with 33
    kFailure = 0x11,  // QEMU exits with 35
};

[[noreturn]] inline void qemu_exit(QemuExitStatus status) {
    outl(0xf4, static_cast<uint8_t>(status));
    halt_forever();
}

}  // namespace arch
