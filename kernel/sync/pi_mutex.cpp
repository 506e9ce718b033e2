#include "kernel/sync/pi_mutex.h"

#include "kernel/sched/scheduler.h"
#include "kernel/sync/guards.h"
#include "kernel/sync/lockdep.h"
#include "kernel/time/clock.h"
#include "libk/container_of.h"
#include "libk/verify.h"

namespace ksync {

namespace {

constexpr uintptr_t kWaitersBit = 1;

// One lock for all priority-inheritance state (every PI mutex's wait list,
// every thread's pi_task): chains cross locks, and a single lock makes the
// chain walk obviously safe. Simplicity over scalability, deliberately.
// Lock order: PI lock, then run-queue locks.
SpinLock pi_lock;

sched::Thread* thread_of(pi::Task* task) {
    return k::container_of<sched::Thread, pi::Task, &sched::Thread::pi_task>(task);
}

// Carries priority changes decided by the PI core into the scheduler.
class SchedulerPrioSink final : public pi::PrioChangeSink {
public:
    void prio_changed(pi::Task& task, int, int new_prio) override {
        sched::set_effective_prio(thread_of(&task), new_prio);
    }
};
SchedulerPrioSink sink;

uintptr_t word_of(sched::Thread* thread) { return reinterpret_cast<uintptr_t>(thread); }

}  // namespace

sched::Thread* PiMutex::owner() const {
    return reinterpret_cast<sched::Thread*>(__atomic_load_n(&owner_word_, __ATOMIC_ACQUIRE) & ~kWaitersBit);
}

bool PiMutex::try_lock() {
    uintptr_t expected = 0;
    const bool taken = __atomic_compare_exchange_n(&owner_word_, &expected, word_of(sched::current_thread()), false,
                                                   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
    if (taken) lockdep::acquired(this, "PI mutex", lockdep::Mode::Exclusive, __builtin_return_address(0));
    return taken;
}

k::Result<void> PiMutex::lock(uint64_t deadline_ns) {
    const void* site = __builtin_return_address(0);
    lockdep::acquire_intent(this, "PI mutex", lockdep::Mode::Exclusive, site);
    uintptr_t expected = 0;
    if (!__atomic_compare_exchange_n(&owner_word_, &expected, word_of(sched::current_thread()), false,
                                     __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        TRY(lock_slow(deadline_ns));
    }
    lockdep::acquired(this, "PI mutex", lockdep::Mode::Exclusive, site);
    return {};
}

void PiMutex::unlock() {
    lockdep::released(this);
    uintptr_t expected = word_of(sched::current_thread());
    if (__atomic_compare_exchange_n(&owner_word_, &expected, 0, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) return;
    unlock_slow();
}

k::Result<void> PiMutex::lock_slow(uint64_t deadline_ns) {
    sched::Thread* self = sched::current_thread();
    pi::Waiter waiter;
    kernel::IrqSaveGuard irq;
    pi_lock.lock();
    // Take it if it is free; otherwise mark it contended so the owner's
    // unlock comes through here.
    for (;;) {
        uintptr_t word = __atomic_load_n(&owner_word_, __ATOMIC_ACQUIRE);
        if (word == 0) {
            if (__atomic_compare_exchange_n(&owner_word_, &word, word_of(self), false, __ATOMIC_ACQUIRE,
                                            __ATOMIC_RELAXED)) {
                pi_lock.unlock();
                return {};
            }
            continue;
        }
        if ((word & ~kWaitersBit) == word_of(self)) {
            pi_lock.unlock();
            return k::error(k::Errno::edeadlk);
        }
        if (word & kWaitersBit) break;
        if (__atomic_compare_exchange_n(&owner_word_, &word, word | kWaitersBit, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            break;
        }
    }
    // Invariant: the PI state knows the owner exactly while the waiters bit
    // is set. We just set it (or found it set by an earlier waiter), and the
    // owner may have taken the mutex by the fast path: record it. (It may be
    // blocked on another PI mutex itself; then the boost walks on to that.)
    sched::Thread* owner_thread = owner();
    if (pi_.owner == nullptr) pi_.owner = &owner_thread->pi_task;
    VERIFY(pi_.owner == &owner_thread->pi_task);
    k::Result<void> blocked = pi::block_on(pi_, waiter, self->pi_task, sink);
    if (!blocked.ok()) {
        if (pi::top_waiter(pi_) == nullptr) forget_waiters();
        pi_lock.unlock();
        return k::error(blocked.error());
    }
    // Sleep until unlock hands the mutex to us, or the deadline passes.
    for (;;) {
        if ((__atomic_load_n(&owner_word_, __ATOMIC_ACQUIRE) & ~kWaitersBit) == word_of(self)) {
            pi_lock.unlock();
            return {};
        }
        if (deadline_ns != sched::kForever && ktime::monotonic_ns() >= deadline_ns) {
            pi::unblock(pi_, waiter, sink);
            if (pi::top_waiter(pi_) == nullptr) forget_waiters();
            pi_lock.unlock();
            return k::error(k::Errno::etimedout);
        }
        sched::block_and_relock(pi_lock, deadline_ns);
    }
}

// The last waiter left without the mutex: uncontended again. The owner may
// now unlock by the fast path, behind the PI state's back, so the PI state
// must not remember it as owner either (the next waiter records whoever
// owns it then). Caller holds the PI lock.
void PiMutex::forget_waiters() {
    pi_.owner = nullptr;
    __atomic_fetch_and(&owner_word_, ~kWaitersBit, __ATOMIC_RELEASE);
}

void PiMutex::unlock_slow() {
    sched::Thread* self = sched::current_thread();
    kernel::IrqSaveGuard irq;
    SpinLockGuard guard(pi_lock);
    VERIFY(owner() == self);
    VERIFY(pi_.owner == &self->pi_task);  // the waiters bit is set, so it is recorded
    // Hand-off: the best waiter becomes the owner before it even runs, so
    // no late arrival can take the mutex from under it.
    pi::Task* next = pi::release(pi_, sink);
    if (next == nullptr) {
        __atomic_store_n(&owner_word_, uintptr_t{0}, __ATOMIC_RELEASE);
        return;
    }
    sched::Thread* next_thread = thread_of(next);
    const bool still_waiting = pi::top_waiter(pi_) != nullptr;
    // Nobody left waiting: the new owner may unlock by the fast path, so the
    // PI state must forget it (see the invariant in lock_slow).
    if (!still_waiting) pi_.owner = nullptr;
    __atomic_store_n(&owner_word_, word_of(next_thread) | (still_waiting ? kWaitersBit : 0), __ATOMIC_RELEASE);
    sched::wake_up(next_thread);
}

}  // namespace ksync

namespace sched {

void pi_base_prio_changed(Thread* thread) {
    kernel::IrqSaveGuard irq;
    ksync::SpinLockGuard guard(ksync::pi_lock);
    ksync::pi::set_base_prio(thread->pi_task, thread->entity.base_prio, ksync::sink);
}

}  // namespace sched
