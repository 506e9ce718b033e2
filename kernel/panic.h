#pragma once
// Stopping the kernel when an invariant is broken. A panic prints one line
// starting "PANIC:", then the registers (when it came from an exception) and
// a symbolized backtrace; then it halts, or in test mode ends QEMU with a
// failing status so the test runner sees it at once.
namespace arch {
struct InterruptFrame;
}

namespace kernel {

[[noreturn]] void panic(const char* format, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void panic_with_frame(const arch::InterruptFrame& frame, const char* format, ...)
    __attribute__((format(printf, 2, 3)));

// Test mode: a panic exits QEMU with the failure status instead of halting.
void set_panic_exits_qemu(bool exit);

// Prints a backtrace starting at the given frame pointer (and, first, pc).
void print_backtrace(unsigned long pc, unsigned long frame_pointer);

}  // namespace kernel
