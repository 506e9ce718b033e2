#include "kernel/panic.h"

#include <stdarg.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupt_frame.h"
#include "arch/x86_64/qemu_exit.h"
#include "kernel/ksyms.h"
#include "kernel/log.h"
#include "libk/verify.h"

namespace kernel {

namespace {

bool panic_exits_qemu = false;
bool panicking = false;

constexpr int kMaxBacktraceFrames = 32;

void print_address(int index, uint64_t address) {
    k::KsymsTable::Symbol symbol;
    if (symbolize(address, symbol)) {
        kprintf("  #%d 0x%016lx %s+0x%lx\n", index, address, symbol.name, symbol.offset);
    } else {
        kprintf("  #%d 0x%016lx ?\n", index, address);
    }
}

// A frame pointer we are willing to dereference: in the kernel half,
// aligned. (The walk also requires frames to move up the stack, so a
// corrupt chain ends instead of looping.)
bool plausible_frame(uint64_t frame) { return frame >= 0xffff800000000000ull && (frame & 7) == 0; }

void print_registers(const arch::InterruptFrame& f) {
    kprintf("  rip=%016lx cs=%04lx rflags=%016lx\n", f.rip, f.cs, f.rflags);
    kprintf("  rsp=%016lx ss=%04lx rbp=%016lx\n", f.rsp, f.ss, f.rbp);
    kprintf("  rax=%016lx rbx=%016lx rcx=%016lx\n", f.rax, f.rbx, f.rcx);
    kprintf("  rdx=%016lx rsi=%016lx rdi=%016lx\n", f.rdx, f.rsi, f.rdi);
    kprintf("  r8 =%016lx r9 =%016lx r10=%016lx\n", f.r8, f.r9, f.r10);
    kprintf("  r11=%016lx r12=%016lx r13=%016lx\n", f.r11, f.r12, f.r13);
    kprintf("  r14=%016lx r15=%016lx\n", f.r14, f.r15);
    kprintf("  cr0=%016lx cr2=%016lx cr3=%016lx cr4=%016lx\n", arch::read_cr0(), arch::read_cr2(),
            arch::read_cr3(), arch::read_cr4());
}

[[noreturn]] void finish_panic() {
    if (panic_exits_qemu) arch::qemu_exit(arch::QemuExitStatus::kFailure);
    kprintf("System halted.\n");
    arch::halt_forever();
}

// A panic inside a panic (a fault while printing the backtrace, say) must
// not recurse forever: say so and stop.
void enter_panic() {
    arch::disable_interrupts();
    if (panicking) {
        kprintf("PANIC: nested panic, halting\n");
        finish_panic();
    }
    panicking = true;
}

// The one line the test contract promises: "PANIC: <what happened>".
void print_panic_line(const char* format, va_list args) {
    kprintf("PANIC: ");
    vlog(LogLevel::Raw, format, args);
    kprintf("\n");
}

}  // namespace

void set_panic_exits_qemu(bool exit) { panic_exits_qemu = exit; }

void print_backtrace(unsigned long pc, unsigned long frame_pointer) {
    kprintf("Backtrace:\n");
    print_address(0, pc);
    uint64_t frame = frame_pointer;
    for (int i = 1; i < kMaxBacktraceFrames && plausible_frame(frame); ++i) {
        // x86-64 frame layout with frame pointers: [rbp] = caller's rbp,
        // [rbp + 8] = return address.
        auto slots = reinterpret_cast<const uint64_t*>(frame);
        uint64_t return_address = slots[1];
        if (return_address == 0) break;
        print_address(i, return_address);
        uint64_t next = slots[0];
        if (next <= frame) break;
        frame = next;
    }
}

void panic(const char* format, ...) {
    enter_panic();
    va_list args;
    va_start(args, format);
    print_panic_line(format, args);
    va_end(args);
    print_backtrace(reinterpret_cast<unsigned long>(__builtin_return_address(0)), arch::frame_pointer());
    finish_panic();
}

void panic_with_frame(const arch::InterruptFrame& frame, const char* format, ...) {
    enter_panic();
    va_list args;
    va_start(args, format);
    print_panic_line(format, args);
    va_end(args);
    print_registers(frame);
    print_backtrace(frame.rip, frame.rbp);
    finish_panic();
}

}  // namespace kernel

namespace k {
void verify_failed(const char* expression, const char* file, int line, const char* function) {
    kernel::panic("VERIFY(%s) failed at %s:%d in %s", expression, file, line, function);
}
}  // namespace k
