#pragma once
// The boundary between user mode and the kernel: system-call dispatch,
// exceptions from user mode, the work done on every return to user mode,
// and program loading.
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/interrupt_frame.h"
#include "kernel/fs/file_table.h"
#include "libk/result.h"

namespace sched {
struct Thread;
}
namespace mm {
class AddressSpace;
}

namespace proc {

struct Process;
struct UserThread;

void user_mode_init();

// The frame through which `thread` entered the kernel from user mode (or
// will first enter user mode): at the top of its kernel stack.
arch::InterruptFrame* user_frame(sched::Thread* thread);

// The return-to-user work (reschedule, signals); returns with interrupts off.
void prepare_return_to_user(arch::InterruptFrame& frame);

// Does the return-to-user work and leaves through `frame`.
[[noreturn]] void return_to_user(arch::InterruptFrame& frame);

// Reloads the thread's FPU registers from its save area, which came from
// user memory (rt_sigreturn): a malformed area resets the state and
// returns false instead of faulting in the kernel.
bool restore_user_fpu_checked(UserThread& thread);

void destroy_user_thread(UserThread* thread);

// Loads the program at `path` into a new address space and lays out its
// stack; `frame` gets the entry state. execve and pid 1 use it.
struct LoadedProgram {
    mm::AddressSpace* space;
    uint64_t entry;
    uint64_t stack_pointer;
};
k::Result<LoadedProgram> load_program(const char* path, const char* const* argv, size_t argc,
                                      const char* const* envp, size_t envc, uint64_t stack_limit);
k::Result<void> load_program(Process& process, UserThread& thread, const char* path, const char* const* argv,
                             size_t argc, const char* const* envp, size_t envc, arch::InterruptFrame& frame);

// fds 0, 1, 2 of the first process: the console.
k::Result<void> install_console_descriptors(fs::FileTable& files);

}  // namespace proc
