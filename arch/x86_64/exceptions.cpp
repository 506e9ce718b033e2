// CPU exceptions: an armed fault catcher gets the fault back as a value;
// anything else in kernel mode is a kernel bug and panics with the details.
#include "arch/x86_64/exceptions.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fault_catcher.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/interrupt_frame.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/user_mode.h"
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

UserFaultHandler user_fault_handler;
KernelUserAccessFaultHandler user_access_fault_handler;

void handle_exception(InterruptFrame& frame) {
    uint64_t cr2 = frame.vector == kPageFault ? read_cr2() : 0;
    // Anything user code raised is the kernel's process side's business
    // (demand paging, copy-on-write, or a signal).
    if (frame.from_user() && user_fault_handler != nullptr && frame.vector != kNmi && frame.vector != kMachineCheck) {
        user_fault_handler(frame, cr2);
        return;
    }
    // The kernel touching user memory on a user's behalf, in one of the
    // instructions of the exception table (user_access.asm): resolve the
    // fault like a user one, or resume at the fix-up, which reports EFAULT.
    if (frame.vector == kPageFault && cr2 < kUserAddressEnd) {
        const uint64_t fixup = arch_exception_table_fixup(frame.rip);
        if (fixup != 0) {
            if (user_access_fault_handler != nullptr && user_access_fault_handler(frame, cr2)) return;
            frame.rip = fixup;
            return;
        }
    }
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

void set_user_fault_handlers(UserFaultHandler user, KernelUserAccessFaultHandler kernel) {
    user_fault_handler = user;
    user_access_fault_handler = kernel;
}

void install_exception_handlers() {
    for (uint8_t v = 0; v < 32; ++v) set_interrupt_handler(v, handle_exception);
    set_default_interrupt_handler(handle_unexpected_interrupt);
}

}  // namespace arch
