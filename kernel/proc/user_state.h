#pragma once
// The scheduler's two calls into the user-mode side of a thread.
namespace sched {
struct Thread;
}

namespace proc {

// Just before the CPU switches from `previous` to `next` (interrupts off,
// run queue locked): FPU state, FS base, kernel stack for entries from
// user mode, and the address space.
void switch_user_state(sched::Thread* previous, sched::Thread* next);

// When a thread is freed: its user-side state goes with it.
void release_user_state(sched::Thread* thread);

}  // namespace proc
