#include "kernel/proc/signal_delivery.h"

#include "arch/x86_64/gdt.h"
#include "arch/x86_64/user_mode.h"
#include "kernel/log.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/user_access.h"
#include "kernel/proc/process.h"
#include "kernel/proc/user_entry.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sync/guards.h"
#include "libk/new.h"
#include "libk/string.h"

namespace proc {

namespace {


bool valid_signal(int signal) { return signal >= 1 && signal <= kSignalCount; }

// PendingInfo::code of a forced (fault) signal, whose siginfo comes from the
// thread's fault_address and fault_code instead. Never a real si_code.
constexpr int32_t kFaultInfoMarker = 0x7fff0001;

// The thread of `process` that should take a process-wide signal: the first
// one that does not block it (Linux prefers the main thread too).
UserThread* pick_thread(Process& process, int signal) {
    for (UserThread& thread : process.threads) {
        if (!(thread.blocked & signal_bit(signal))) return &thread;
    }
    return nullptr;
}

void wake_thread(UserThread* thread) {
    if (thread != nullptr && thread->thread != nullptr) sched::wake_up(thread->thread);
}

bool ignored(const Process& process, int signal) {
    const SignalAction& action = process.handlers->actions[signal - 1];
    if (action.handler == kSigIgnore) return signal != kSigKill && signal != kSigStop;
    if (action.handler == kSigDefault) {
        return default_action(signal) == DefaultAction::Ignore || default_action(signal) == DefaultAction::Continue;
    }
    return false;
}

}  // namespace

DefaultAction default_action(int signal) {
    switch (signal) {
        case kSigChld:
        case kSigUrg:
        case kSigWinch: return DefaultAction::Ignore;
        case kSigCont: return DefaultAction::Continue;
        case kSigStop:
        case kSigTstp:
        case kSigTtin:
        case kSigTtou: return DefaultAction::Stop;
        default: return DefaultAction::Terminate;
    }
}

k::Result<SignalHandlers*> copy_handlers(const SignalHandlers* from) {
    void* memory = mm::kzalloc(sizeof(SignalHandlers));
    if (memory == nullptr) return k::error(k::Errno::enomem);
    auto handlers = new (memory) SignalHandlers();
    if (from != nullptr) memcpy(handlers->actions, from->actions, sizeof handlers->actions);
    return handlers;
}

void put_handlers(SignalHandlers* handlers) {
    if (__atomic_sub_fetch(&handlers->references, 1, __ATOMIC_ACQ_REL) != 0) return;
    handlers->~SignalHandlers();
    mm::kfree(handlers);
}

namespace {
bool other_thread_execs(const UserThread& thread) {
    const UserThread* exec_thread = __atomic_load_n(&thread.process->exec_thread, __ATOMIC_ACQUIRE);
    return exec_thread != nullptr && exec_thread != &thread;
}
}  // namespace

bool signal_pending(const UserThread& thread) {
    const SignalSet pending = __atomic_load_n(&thread.pending, __ATOMIC_ACQUIRE) |
                              __atomic_load_n(&thread.process->shared_pending, __ATOMIC_ACQUIRE);
    return (pending & ~thread.blocked) != 0 || (pending & signal_bit(kSigKill)) != 0 ||
           __atomic_load_n(&thread.process->group_exiting, __ATOMIC_ACQUIRE) || thread.forced_signal != 0 ||
           other_thread_execs(thread);
}

void queue_process_signal_locked(Process& process, int signal, int code, int sender_pid, int status) {
    if (process.state != ProcessState::Alive || process.group_exiting) return;
    // An ignored signal is dropped when sent (POSIX), except that blocked
    // ones stay pending in case the action changes. Simplified: dropped.
    if (ignored(process, signal)) return;
    if (!(process.shared_pending & signal_bit(signal))) {
        process.shared_pending_info[signal - 1] = {code, sender_pid, status};
    }
    process.shared_pending |= signal_bit(signal);
    if (signal == kSigKill) {
        for (UserThread& thread : process.threads) wake_thread(&thread);
        return;
    }
    wake_thread(pick_thread(process, signal));
}

k::Result<void> send_to_process(int pid, int signal, int sender_pid) {
    if (signal < 0 || signal > kSignalCount) return k::error(k::Errno::einval);
    kernel::IrqSaveGuard irq;
    ksync::SpinLockGuard guard(tree_lock());
    Process* process = find_process(pid);
    if (process == nullptr || process->state != ProcessState::Alive) return k::error(k::Errno::esrch);
    // Pid 1 is only killed by signals it has a handler for (Linux's
    // SIGNAL_UNKILLABLE), so a stray kill cannot take the system down.
    if (process->parent == nullptr && signal != 0 && process->handlers->actions[signal - 1].handler <= kSigIgnore) {
        return {};
    }
    if (signal != 0) queue_process_signal_locked(*process, signal, kSiUser, sender_pid);
    return {};
}

k::Result<void> send_to_thread(int tgid, int tid, int signal, int sender_pid) {
    if (signal < 0 || signal > kSignalCount || tid <= 0) return k::error(k::Errno::einval);
    kernel::IrqSaveGuard irq;
    ksync::SpinLockGuard guard(tree_lock());
    UserThread* thread = find_thread(tid);
    if (thread == nullptr || thread->exiting || (tgid > 0 && thread->process->pid != tgid)) {
        return k::error(k::Errno::esrch);
    }
    if (signal == 0) return {};
    Process& process = *thread->process;
    if (process.parent == nullptr && process.handlers->actions[signal - 1].handler <= kSigIgnore) return {};
    if (ignored(process, signal)) return {};
    if (signal == kSigKill) {
        queue_process_signal_locked(process, signal);
        return {};
    }
    if (!(thread->pending & signal_bit(signal))) thread->pending_info[signal - 1] = {kSiTkill, sender_pid, 0};
    thread->pending |= signal_bit(signal);
    wake_thread(thread);
    return {};
}

k::Result<void> send_to_group(int pgid, int signal, int sender_pid) {
    if (signal < 0 || signal > kSignalCount) return k::error(k::Errno::einval);
    kernel::IrqSaveGuard irq;
    ksync::SpinLockGuard guard(tree_lock());
    bool found = false;
    for_each_process([&](Process& process) {
        if (process.pgid != pgid || process.state != ProcessState::Alive) return;
        found = true;
        if (signal == 0) return;
        if (process.parent == nullptr && process.handlers->actions[signal - 1].handler <= kSigIgnore) return;
        queue_process_signal_locked(process, signal, kSiUser, sender_pid);
    });
    return found ? k::Result<void>{} : k::error(k::Errno::esrch);
}

k::Result<void> send_to_all(int signal, int sender_pid) {
    if (signal < 0 || signal > kSignalCount) return k::error(k::Errno::einval);
    kernel::IrqSaveGuard irq;
    ksync::SpinLockGuard guard(tree_lock());
    bool found = false;
    for_each_process([&](Process& process) {
        if (process.parent == nullptr || process.pid == sender_pid || process.state != ProcessState::Alive) return;
        found = true;
        if (signal != 0) queue_process_signal_locked(process, signal, kSiUser, sender_pid);
    });
    return found ? k::Result<void>{} : k::error(k::Errno::esrch);
}

void force_signal(UserThread& thread, int signal, uint64_t fault_address, int code) {
    thread.forced_signal = signal;
    thread.fault_address = fault_address;
    thread.fault_code = code;
}

bool parent_ignores_children(Process* parent) {
    if (parent->handlers == nullptr) return false;
    const SignalAction& action = parent->handlers->actions[kSigChld - 1];
    return action.handler == kSigIgnore || (action.flags & kSaNoCldWait) != 0;
}

void send_child_signal(Process* parent, int signal, int child_pid, int status) {
    if (!valid_signal(signal)) return;
    kernel::IrqSaveGuard irq;
    ksync::SpinLockGuard guard(tree_lock());
    if (parent->state != ProcessState::Alive || parent->handlers == nullptr) return;
    // siginfo for SIGCHLD: CLD_EXITED with the exit code, or CLD_KILLED
    // with the signal (sigaction(2)).
    const bool exited = (status & 0x7f) == 0;
    queue_process_signal_locked(*parent, signal, exited ? kCldExited : kCldKilled, child_pid,
                                exited ? (status >> 8) & 0xff : status & 0x7f);
}

void begin_group_exit(Process* process, int wait_status) {
    kernel::IrqSaveGuard irq;
    ksync::SpinLockGuard guard(tree_lock());
    if (process->group_exiting) return;
    process->group_exiting = true;
    process->exit_code = wait_status;
    for (UserThread& thread : process->threads) wake_thread(&thread);
}

// --- Delivery ---------------------------------------------------------------------

namespace {

// Takes the lowest deliverable signal off the thread's or process's pending
// set (tree lock held); 0 if none.
int dequeue_signal(UserThread& self, UserThread::PendingInfo& info) {
    const SignalSet mine = self.pending & ~self.blocked;
    if (mine != 0) {
        const int signal = __builtin_ctzll(mine) + 1;
        self.pending &= ~signal_bit(signal);
        info = self.pending_info[signal - 1];
        return signal;
    }
    Process& process = *self.process;
    SignalSet shared = process.shared_pending & (~self.blocked | kUnblockable);
    if (shared != 0) {
        const int signal = __builtin_ctzll(shared) + 1;
        process.shared_pending &= ~signal_bit(signal);
        info = process.shared_pending_info[signal - 1];
        return signal;
    }
    return 0;
}

// Sleeps and waits for signals end with EINTR when a handler ran, even with
// SA_RESTART (Linux's ERESTARTNOHAND and ERESTART_RESTARTBLOCK, signal(7)):
// nanosleep, clock_nanosleep, pause, rt_sigsuspend, poll, select.
bool restarts_after_handler(uint64_t number) {
    switch (number) {
        case 7: case 23: case 34: case 35: case 130: case 230: case 270: case 271: return false;
        default: return true;
    }
}

// A system call that a signal interrupted (-EINTR) starts over when the
// signal is ignored or its handler has SA_RESTART: back up RIP over the
// two-byte SYSCALL instruction and put the call number back in RAX.
void restart_interrupted_call(arch::InterruptFrame& frame, const UserThread& self) {
    if (frame.vector != 256 || static_cast<int64_t>(frame.rax) != -static_cast<int64_t>(k::Errno::eintr)) return;
    frame.rax = self.syscall_number;
    frame.rip -= 2;
    // The return path compares RCX with RIP to choose SYSRET; keep them equal.
    frame.rcx = frame.rip;
}

[[noreturn]] void die_of(int signal, bool fault) {
    UserThread* self = current_user_thread();
    // Like Linux's show_unhandled_signals: a line for deaths by a fault,
    // silence for signals somebody sent on purpose.
    if (fault) {
        log_info("pid %d (%s) killed by signal %d (unhandled fault at 0x%lx)", self->process->pid,
                 self->process->name, signal, self->fault_address);
    }
    exit_thread(wait_status_signaled(signal), true);
}

bool build_handler_frame(arch::InterruptFrame& frame, int signal, const SignalAction& action, UserThread& self,
                         const UserThread::PendingInfo& pending) {
    // Below the red zone (128 bytes the interrupted code may use without
    // moving RSP: psABI §3.2.2), room for the FPU state (64-byte aligned),
    // then the frame, placed so that RSP + 8 is 16-byte aligned at the
    // handler's first instruction, as after a call.
    const size_t fpu_size = arch::fpu_state_size();
    uint64_t sp = frame.rsp - 128;
    sp = (sp - fpu_size) & ~uint64_t{63};
    const uint64_t fpu_address = sp;
    sp -= sizeof(SignalFrame);
    sp = (sp & ~uint64_t{15}) - 8;

    arch::fpu_save(self.fpu_state);
    if (!mm::copy_to_user(fpu_address, self.fpu_state, fpu_size).ok()) return false;

    SignalFrame signal_frame{};
    signal_frame.return_address = action.restorer;
    SignalContext& context = signal_frame.context.mcontext;
    context.r8 = frame.r8; context.r9 = frame.r9; context.r10 = frame.r10; context.r11 = frame.r11;
    context.r12 = frame.r12; context.r13 = frame.r13; context.r14 = frame.r14; context.r15 = frame.r15;
    context.rdi = frame.rdi; context.rsi = frame.rsi; context.rbp = frame.rbp; context.rbx = frame.rbx;
    context.rdx = frame.rdx; context.rax = frame.rax; context.rcx = frame.rcx; context.rsp = frame.rsp;
    context.rip = frame.rip; context.rflags = frame.rflags;
    context.cs = static_cast<uint16_t>(frame.cs);
    context.ss = static_cast<uint16_t>(frame.ss);
    context.error_code = frame.vector < 32 ? frame.error_code : 0;
    context.trap_number = frame.vector < 32 ? frame.vector : 0;
    context.cr2 = self.fault_address;
    context.fpstate = fpu_address;
    signal_frame.context.mask = self.restore_mask_after_handler ? self.saved_mask : self.blocked;
    signal_frame.context.mcontext.old_mask = signal_frame.context.mask;
    signal_frame.info.signo = signal;
    signal_frame.info.code = pending.code;
    if (pending.code == kFaultInfoMarker) {
        // A fault: si_addr (and SEGV_MAPERR / SEGV_ACCERR in si_code).
        signal_frame.info.code = self.fault_code;
        signal_frame.info.fault_address = self.fault_address;
    } else {
        signal_frame.info.process.pid = pending.pid;
        signal_frame.info.process.status = pending.status;
    }
    if (!mm::copy_to_user(sp, &signal_frame, sizeof signal_frame).ok()) return false;

    frame.rsp = sp;
    frame.rip = action.handler;
    frame.rdi = static_cast<uint64_t>(signal);
    frame.rsi = sp + offsetof(SignalFrame, info);
    frame.rdx = sp + offsetof(SignalFrame, context);
    frame.rax = 0;
    frame.rflags &= ~(arch::kRflagsTrap | arch::kRflagsDirection);
    frame.cs = arch::kUserCodeSelector;
    frame.ss = arch::kUserDataSelector;
    // The handler starts with a clean FPU (the interrupted state is in the frame).
    arch::fpu_state_init(self.fpu_state);
    arch::fpu_restore(self.fpu_state);
    return true;
}

}  // namespace

void deliver_pending_signals(arch::InterruptFrame& frame) {
    UserThread* self = current_user_thread();
    Process* process = self->process;
    for (int rounds = 0; rounds < kSignalCount + 1; ++rounds) {
        if (__atomic_load_n(&process->group_exiting, __ATOMIC_ACQUIRE)) exit_thread(process->exit_code, true);
        UserThread* exec_thread = __atomic_load_n(&process->exec_thread, __ATOMIC_ACQUIRE);
        if (exec_thread != nullptr && exec_thread != self) exit_thread(0, false);  // another thread execs
        int signal = 0;
        SignalAction action;
        UserThread::PendingInfo info{};
        if (self->forced_signal != 0) {
            signal = self->forced_signal;
            self->forced_signal = 0;
            info.code = kFaultInfoMarker;  // marks "a fault" for build_handler_frame
            // A fault that is blocked or ignored kills: the instruction would
            // only fault again (Linux's force_sig_fault).
            kernel::IrqSaveGuard irq;
            ksync::SpinLockGuard guard(process->handlers->lock);
            action = process->handlers->actions[signal - 1];
            if ((self->blocked & signal_bit(signal)) || action.handler == kSigIgnore) action.handler = kSigDefault;
        } else {
            kernel::IrqSaveGuard irq;
            ksync::SpinLockGuard guard(tree_lock());
            signal = dequeue_signal(*self, info);
            if (signal == 0) break;
            action = process->handlers->actions[signal - 1];
        }
        if (action.handler == kSigIgnore) continue;
        if (action.handler == kSigDefault) {
            switch (default_action(signal)) {
                case DefaultAction::Ignore:
                case DefaultAction::Continue:
                case DefaultAction::Stop:  // job control is not implemented: stop signals are ignored
                    continue;
                case DefaultAction::Terminate:
                    if (process->parent == nullptr && signal != kSigKill) continue;  // pid 1
                    die_of(signal, info.code == kFaultInfoMarker);
            }
        }
        if ((action.flags & kSaRestart) && restarts_after_handler(self->syscall_number)) {
            restart_interrupted_call(frame, *self);
        }
        if (!(action.flags & kSaRestorer) || !build_handler_frame(frame, signal, action, *self, info)) {
            // No way back from the handler, or no room for its frame: what
            // Linux does too (force SIGSEGV).
            die_of(kSigSegv, true);
        }
        {
            kernel::IrqSaveGuard irq;
            ksync::SpinLockGuard guard(process->handlers->lock);
            if (action.flags & kSaResetHand) process->handlers->actions[signal - 1].handler = kSigDefault;
        }
        if (self->restore_mask_after_handler) self->restore_mask_after_handler = false;
        self->blocked |= action.mask & ~kUnblockable;
        if (!(action.flags & kSaNoDefer)) self->blocked |= signal_bit(signal) & ~kUnblockable;
        self->fault_address = 0;
        frame.vector = 257;  // a handler frame: no restart below, and IRETQ's full restore
        return;  // one handler frame at a time; the next signal comes after it
    }
    // No handler ran: a call the signals interrupted just goes on.
    restart_interrupted_call(frame, *self);
    if (self->restore_mask_after_handler) {
        self->blocked = self->saved_mask;
        self->restore_mask_after_handler = false;
    }
}

k::Result<void> signal_return(arch::InterruptFrame& frame) {
    UserThread* self = current_user_thread();
    // The handler's `ret` popped the return address: the frame starts 8 below.
    const uint64_t address = frame.rsp - 8;
    SignalFrame signal_frame;
    TRY(mm::copy_from_user(&signal_frame, address, sizeof signal_frame));
    const SignalContext& context = signal_frame.context.mcontext;
    // Only user-controllable flags come back (CF PF AF ZF SF TF DF OF AC, RF): never IOPL or IF off.
    constexpr uint64_t kUserFlags = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x40000 | 0x10000;
    frame.r8 = context.r8; frame.r9 = context.r9; frame.r10 = context.r10; frame.r11 = context.r11;
    frame.r12 = context.r12; frame.r13 = context.r13; frame.r14 = context.r14; frame.r15 = context.r15;
    frame.rdi = context.rdi; frame.rsi = context.rsi; frame.rbp = context.rbp; frame.rbx = context.rbx;
    frame.rdx = context.rdx; frame.rax = context.rax; frame.rcx = context.rcx; frame.rsp = context.rsp;
    frame.rip = context.rip;
    frame.rflags = (frame.rflags & ~kUserFlags) | (context.rflags & kUserFlags) | arch::kRflagsInterrupt;
    frame.cs = arch::kUserCodeSelector;
    frame.ss = arch::kUserDataSelector;
    frame.vector = 257;  // not a system call's frame any more: never restarted
    self->blocked = signal_frame.context.mask & ~kUnblockable;
    if (context.fpstate != 0) {
        TRY(mm::copy_from_user(self->fpu_state, context.fpstate, arch::fpu_state_size()));
        if (!restore_user_fpu_checked(*self)) return k::error(k::Errno::efault);
    }
    return {};
}

k::Result<void> set_action(int signal, uint64_t user_new, uint64_t user_old, uint64_t set_size) {
    if (set_size != sizeof(SignalSet)) return k::error(k::Errno::einval);
    if (!valid_signal(signal)) return k::error(k::Errno::einval);
    SignalAction incoming{};
    if (user_new != 0) {
        TRY(mm::copy_from_user(&incoming, user_new, sizeof incoming));
        if (signal == kSigKill || signal == kSigStop) return k::error(k::Errno::einval);
    }
    Process* process = current_process();
    SignalAction previous;
    {
        kernel::IrqSaveGuard irq;
        ksync::SpinLockGuard guard(process->handlers->lock);
        previous = process->handlers->actions[signal - 1];
        if (user_new != 0) {
            incoming.mask &= ~kUnblockable;
            process->handlers->actions[signal - 1] = incoming;
        }
    }
    if (user_new != 0 && (incoming.handler == kSigIgnore ||
                          (incoming.handler == kSigDefault && default_action(signal) == DefaultAction::Ignore))) {
        // Setting SIG_IGN discards what is pending (POSIX).
        kernel::IrqSaveGuard irq;
        ksync::SpinLockGuard guard(tree_lock());
        process->shared_pending &= ~signal_bit(signal);
        for (UserThread& thread : process->threads) thread.pending &= ~signal_bit(signal);
    }
    if (user_old != 0) TRY(mm::copy_to_user(user_old, &previous, sizeof previous));
    return {};
}

k::Result<void> set_mask(int how, uint64_t user_set, uint64_t user_old, uint64_t set_size) {
    if (set_size != sizeof(SignalSet)) return k::error(k::Errno::einval);
    UserThread* self = current_user_thread();
    const SignalSet old = self->blocked;
    if (user_set != 0) {
        const SignalSet set = TRY(mm::get_user<SignalSet>(user_set));
        switch (how) {
            case 0: self->blocked |= set; break;   // SIG_BLOCK
            case 1: self->blocked &= ~set; break;  // SIG_UNBLOCK
            case 2: self->blocked = set; break;    // SIG_SETMASK
            default: return k::error(k::Errno::einval);
        }
        self->blocked &= ~kUnblockable;
    }
    if (user_old != 0) TRY(mm::put_user(user_old, old));
    return {};
}

}  // namespace proc
