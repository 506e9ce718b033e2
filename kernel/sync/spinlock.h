#pragma once
// A ticket spinlock: fair (FIFO) among CPUs, which a plain test-and-set lock
// is not: under contention one CPU can starve forever. Each locker takes a
// ticket (atomic fetch-add on `next_`) and spins until `owner_` shows it.
// The only lock allowed in hard-IRQ context and inside the scheduler; never
// held across a sleep. Portable (host-tested with real threads); the kernel's
// guards in kernel/sync/guards.h add interrupt and preemption control.
#include <stdint.h>
#if __STDC_HOSTED__
#include <sched.h>
#endif

namespace ksync {

// What to do while waiting: `pause` in the kernel (saves power, and tells a
// hyper-threaded sibling to go ahead). On the host the lockers are threads
// that the OS may preempt; with more threads than cores, spinning on a
// ticket whose owner is not running would waste whole time slices, so the
// host version yields instead.
inline void cpu_relax() {
#if __STDC_HOSTED__
    sched_yield();
#elif defined(__x86_64__)
    __builtin_ia32_pause();
#endif
}

class SpinLock {
public:
    constexpr SpinLock() = default;
    SpinLock(const SpinLock&) = delete;
    SpinLock& operator=(const SpinLock&) = delete;

    void lock() {
        const uint32_t ticket = __atomic_fetch_add(&next_, 1, __ATOMIC_RELAXED);
        // Acquire: everything the previous holder wrote is visible once we
        // see our ticket served.
        while (__atomic_load_n(&owner_, __ATOMIC_ACQUIRE) != ticket) cpu_relax();
    }

    bool try_lock() {
        uint32_t owner = __atomic_load_n(&owner_, __ATOMIC_RELAXED);
        uint32_t expected = owner;
        // Only take a ticket if it would be served at once.
        return __atomic_compare_exchange_n(&next_, &expected, owner + 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
    }

    void unlock() {
        // Only the holder writes owner_, so a plain increment published with
        // release ordering hands the lock to the next ticket.
        __atomic_store_n(&owner_, owner_ + 1, __ATOMIC_RELEASE);
    }

    // The holder plus the CPUs waiting (for tests and lock statistics).
    uint32_t queued() const {
        return __atomic_load_n(&next_, __ATOMIC_RELAXED) - __atomic_load_n(&owner_, __ATOMIC_RELAXED);
    }

    bool is_locked() const {
        return __atomic_load_n(&owner_, __ATOMIC_RELAXED) != __atomic_load_n(&next_, __ATOMIC_RELAXED);
    }

private:
    uint32_t owner_ = 0;  // the ticket being served
    uint32_t next_ = 0;   // the next ticket to hand out
};

// Holds a SpinLock for a scope. Interrupts and preemption are the caller's
// business here; kernel code uses the guards of kernel/sync/guards.h.
class SpinLockGuard {
public:
    explicit SpinLockGuard(SpinLock& lock) : lock_(lock) { lock_.lock(); }
    ~SpinLockGuard() { lock_.unlock(); }
    SpinLockGuard(const SpinLockGuard&) = delete;
    SpinLockGuard& operator=(const SpinLockGuard&) = delete;

private:
    SpinLock& lock_;
};

}  // namespace ksync
