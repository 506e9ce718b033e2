#pragma once
// Sending signals, and running their actions on the way back to user mode.
#include <stdint.h>

#include "arch/x86_64/interrupt_frame.h"
#include "kernel/proc/signal.h"
#include "libk/result.h"

namespace proc {

struct Process;
struct UserThread;

k::Result<SignalHandlers*> copy_handlers(const SignalHandlers* from);  // nullptr: all default
void put_handlers(SignalHandlers* handlers);

// True if `thread` has a deliverable signal (not blocked), or is being
// killed. Blocking calls check it to return EINTR.
bool signal_pending(const UserThread& thread);

// Queues `signal` for the whole process (kill) or for one thread (tkill),
// and wakes a thread that can take it. Signal 0 only checks existence.
// Tree lock NOT held.
k::Result<void> send_to_process(int pid, int signal, int sender_pid);
k::Result<void> send_to_thread(int tgid, int tid, int signal, int sender_pid);
// kill(-pgid) and kill(-1): every process of a group or every process but init and the caller.
k::Result<void> send_to_group(int pgid, int signal, int sender_pid);
k::Result<void> send_to_all(int signal, int sender_pid);
// Tree lock held.
void queue_process_signal_locked(Process& process, int signal, int code = kSiUser, int sender_pid = 0,
                                 int status = 0);

// A fault in user mode: the thread takes `signal` now, handler or not.
void force_signal(UserThread& thread, int signal, uint64_t fault_address, int code = kSegvMapErr);

// SIGCHLD (or the clone exit signal) to a parent.
void send_child_signal(Process* parent, int signal, int child_pid, int status);
bool parent_ignores_children(Process* parent);  // tree lock held

// exit_group / a fatal signal: mark the group dying and kill its threads.
void begin_group_exit(Process* process, int wait_status);

// Called on every return to user mode (interrupts on): runs the action of
// each pending signal, building a handler frame on the user stack or
// terminating the process.
void deliver_pending_signals(arch::InterruptFrame& frame);

// rt_sigreturn: restores the registers and mask saved in the frame at the
// user RSP.
k::Result<void> signal_return(arch::InterruptFrame& frame);

// rt_sigaction / rt_sigprocmask.
k::Result<void> set_action(int signal, uint64_t user_new, uint64_t user_old, uint64_t set_size);
k::Result<void> set_mask(int how, uint64_t user_set, uint64_t user_old, uint64_t set_size);

}  // namespace proc
