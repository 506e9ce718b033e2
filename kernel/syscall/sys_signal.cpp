// Signal system calls.
#include "kernel/mm/user_access.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal_delivery.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sync/guards.h"
#include "kernel/syscall/syscall.h"
#include "kernel/sync/wait_queue.h"

namespace syscall {

int64_t sys_rt_sigaction(const Args& a, arch::InterruptFrame&) {
    return result_of(proc::set_action(static_cast<int>(a.a0), a.a1, a.a2, a.a3));
}

int64_t sys_rt_sigprocmask(const Args& a, arch::InterruptFrame&) {
    return result_of(proc::set_mask(static_cast<int>(a.a0), a.a1, a.a2, a.a3));
}

int64_t sys_rt_sigreturn(const Args&, arch::InterruptFrame& frame) {
    if (!proc::signal_return(frame).ok()) {
        // A corrupt frame: the process cannot continue (Linux: SIGSEGV).
        proc::force_signal(*proc::current_user_thread(), proc::kSigSegv, frame.rsp);
    }
    return static_cast<int64_t>(frame.rax);  // the interrupted code's RAX, restored
}

int64_t sys_rt_sigpending(const Args& a, arch::InterruptFrame&) {
    if (a.a1 != sizeof(proc::SignalSet)) return fail(k::Errno::einval);
    proc::UserThread* self = proc::current_user_thread();
    proc::SignalSet pending;
    {
        kernel::IrqSaveGuard irq;
        ksync::SpinLockGuard guard(proc::tree_lock());
        pending = (self->pending | self->process->shared_pending) & self->blocked;
    }
    return result_of(mm::put_user(a.a0, pending));
}

int64_t sys_rt_sigsuspend(const Args& a, arch::InterruptFrame&) {
    if (a.a1 != sizeof(proc::SignalSet)) return fail(k::Errno::einval);
    auto mask = mm::get_user<proc::SignalSet>(a.a0);
    if (!mask.ok()) return fail(mask.error());
    proc::UserThread* self = proc::current_user_thread();
    self->saved_mask = self->blocked;
    self->restore_mask_after_handler = true;
    self->blocked = mask.value() & ~proc::kUnblockable;
    ksync::WaitQueue never;
    never.wait_until([self] { return proc::signal_pending(*self); });
    return fail(k::Errno::eintr);
}

int64_t sys_sigaltstack(const Args& a, arch::InterruptFrame&) {
    // No alternate signal stacks yet: report "disabled" and refuse to set one.
    if (a.a1 != 0) {
        const proc::StackDescription none{0, 2 /* SS_DISABLE */, 0, 0};
        if (auto put = mm::copy_to_user(a.a1, &none, sizeof none); !put.ok()) return fail(put.error());
    }
    if (a.a0 != 0) return fail(k::Errno::enosys);
    return 0;
}

}  // namespace syscall
