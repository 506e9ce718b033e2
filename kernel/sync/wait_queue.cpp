#include "kernel/sync/wait_queue.h"

#include "kernel/sched/scheduler.h"
#include "kernel/sync/guards.h"
#include "kernel/sync/lockdep.h"
#include "kernel/time/clock.h"

namespace ksync {

bool WaitQueue::wait(bool (*cond)(void*), void* context, uint64_t deadline_ns) {
    lockdep::might_sleep("waiting on a wait queue", __builtin_return_address(0));
    sched::Thread* self = sched::current_thread();
    kernel::IrqSaveGuard irq;
    lock_.lock();
    bool satisfied = cond(context);
    while (!satisfied) {
        if (deadline_ns != sched::kForever && ktime::monotonic_ns() >= deadline_ns) break;
        // On the list before the lock drops: a waker that comes in between
        // finds us and makes us runnable again (block_and_relock).
        self->timed_out = false;
        waiters_.push_back(*self);
        sched::block_and_relock(lock_, deadline_ns);
        if (self->wait_node.is_linked()) waiters_.remove(*self);
        satisfied = cond(context);
    }
    lock_.unlock();
    return satisfied;
}

void WaitQueue::wake_one() {
    kernel::IrqSaveGuard irq;
    SpinLockGuard guard(lock_);
    // Skip threads another path (their time-out) already woke.
    while (sched::Thread* thread = waiters_.pop_front()) {
        if (sched::wake_up(thread)) return;
    }
}

void WaitQueue::wake_all() {
    kernel::IrqSaveGuard irq;
    SpinLockGuard guard(lock_);
    while (sched::Thread* thread = waiters_.pop_front()) sched::wake_up(thread);
}

bool WaitQueue::has_waiters() {
    kernel::IrqSaveGuard irq;
    SpinLockGuard guard(lock_);
    return !waiters_.empty();
}

}  // namespace ksync
