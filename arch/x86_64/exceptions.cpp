// CPU exceptions: an armed fault catcher gets the fault back as a value;
// anything else in kernel mode is a kernel bug and panics with the details.
#include "arch/x86_64/exceptions.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fault_catcher.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/interrupt_frame.h"
#include "arch/x86_64/percpu.h"
#include "kernel/panic.h"

namespace arch {

namespace {

const char* const kExceptionNames[32] = {
    "divide error", "debug", "non-maskable interrupt", "breakpoint", "overflow", "bound range exceeded",
    "invalid opcode", "device not available", "double fault", "coprocessor segment overrun", "invalid TSS",
    "segment not present", "stack-segment fault", "general protection fault", "page fault", "reserved (15)",
    "x87 floating-point error", "alignment check", "machine check", "SIMD floating-point error",
    "virtualization exception", "control protection exception", "reserved (22)", "reserved (23)",
    "reserved (24)", "reserved (25)", "reserved (26)", "reserved (27)", "hypervisor injection exception",
    "VMM communication exception", "security exception", "reserved (31)"};

// Faults a catcher may take back. NMIs and machine checks are not caused by
// the code under test, and a double fault means the stack is gone.
bool catchable(uint64_t vector) {
    return vector < 32 && vector != kNmi && vector != kMachineCheck && vector != kDoubleFault;
}

void handle_exception(InterruptFrame& frame) {
    uint64_t cr2 = frame.vector == kPageFault ? read_cr2() : 0;
    ArchCpu* cpu = this_arch_cpu();
    FaultRecovery* recovery = cpu->armed_fault_recovery;
    if (recovery != nullptr && !frame.from_user() && catchable(frame.vector)) {
        cpu->armed_fault_recovery = recovery->previous;
        recovery->vector = frame.vector;
        recovery->error_code = frame.error_code;
        recovery->fault_address = cr2;
        frame.rip = recovery->resume_rip;
        frame.rsp = recovery->rsp;
        frame.rdi = reinterpret_cast<uint64_t>(recovery);
        return;
    }
    if (frame.vector == kPageFault) {
        const uint64_t e = frame.error_code;
        kernel::panic_with_frame(frame, "page fault (vector 14) at 0x%016lx: %s %s, %s mode%s, error=0x%lx", cr2,
                                 (e & kPfInstructionFetch) ? "instruction fetch from"
                                 : (e & kPfWrite)          ? "write to"
                                                           : "read from",
                                 (e & kPfPresent) ? "protected page" : "not-present page",
                                 (e & kPfUser) ? "user" : "kernel", (e & kPfReserved) ? ", reserved bit set" : "",
                                 e);
    }
    if (frame.vector == kDoubleFault) {
        kernel::panic_with_frame(frame, "double fault (vector 8), probably a kernel stack overflow");
    }
    kernel::panic_with_frame(frame, "%s (vector %lu), error=0x%lx", exception_name(frame.vector), frame.vector,
                             frame.error_code);
}

void handle_unexpected_interrupt(InterruptFrame& frame) {
    kernel::panic_with_frame(frame, "unexpected interrupt on vector %lu", frame.vector);
}

}  // namespace

const char* exception_name(uint64_t vector) { return vector < 32 ? kExceptionNames[vector] : "interrupt"; }

void install_exception_handlers() {
    for (uint8_t v = 0; v < 32; ++v) set_interrupt_handler(v, handle_exception);
    set_default_interrupt_handler(handle_unexpected_interrupt);
}

}  // namespace arch
