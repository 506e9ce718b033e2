#pragma once
// Kernel-thread contexts: switching stacks, and the first frame of a new
// thread (see context_switch.asm).
#include <stdint.h>

extern "C" void arch_context_switch(uint64_t* save_rsp, uint64_t next_rsp);
extern "C" void arch_thread_trampoline();

namespace arch {

// Builds the frame arch_context_switch pops on a fresh stack so that the
// thread starts in thread_start(start, argument). Returns the stack pointer.
inline uint64_t prepare_thread_stack(uint64_t stack_top, void (*start)(void*), void* argument) {
    // stack_top is 16-byte aligned; after `ret` pops the trampoline's
    // address RSP is stack_top, so the trampoline's `call` enters
    // thread_start with RSP = 8 mod 16, as the SysV ABI requires.
    auto slot = reinterpret_cast<uint64_t*>(stack_top);
    *--slot = reinterpret_cast<uint64_t>(&arch_thread_trampoline);  // popped by ret
    *--slot = 0;                                     // rbp
    *--slot = 0;                                     // rbx
    *--slot = reinterpret_cast<uint64_t>(start);     // r12
    *--slot = reinterpret_cast<uint64_t>(argument);  // r13
    *--slot = 0;                                     // r14
    *--slot = 0;                                     // r15
    return reinterpret_cast<uint64_t>(slot);
}

}  // namespace arch
