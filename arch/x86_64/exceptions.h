#pragma once
#include <stdint.h>

#include "arch/x86_64/interrupt_frame.h"

namespace arch {

// Routes vectors 0-31 to the exception handler and everything else, until
// a driver claims it, to "unexpected interrupt".
void install_exception_handlers();

constexpr uint64_t kUserAddressEnd = 0x0000'8000'0000'0000;

// Exceptions raised in user mode go to `user` (with CR2 for page faults).
// A page fault in a kernel user-access instruction goes to `kernel`, which
// returns true if it made the page present (the instruction is retried),
// false to take the exception table's fix-up (EFAULT).
using UserFaultHandler = void (*)(InterruptFrame& frame, uint64_t fault_address);
using KernelUserAccessFaultHandler = bool (*)(InterruptFrame& frame, uint64_t fault_address);
void set_user_fault_handlers(UserFaultHandler user, KernelUserAccessFaultHandler kernel);

}  // namespace arch
