#pragma once
// A plain sleeping mutex, without priority inheritance: waiters sleep on a
// wait queue until the owner lets go. Cheap and fair enough where
// priorities do not matter; where they do, use PiMutex (kernel/sync/
// pi_mutex.h): with this one a low-priority owner can be starved by a
// medium-priority thread while a high-priority thread waits (the priority
// inversion the tests demonstrate).
#include "kernel/sched/scheduler.h"
#include "kernel/sync/wait_queue.h"
#include "libk/verify.h"

namespace ksync {

class Mutex {
public:
    constexpr Mutex() = default;
    Mutex(const Mutex&) = delete;
    Mutex& operator=(const Mutex&) = delete;

    bool try_lock() {
        sched::Thread* expected = nullptr;
        return __atomic_compare_exchange_n(&owner_, &expected, sched::current_thread(), false, __ATOMIC_ACQUIRE,
                                           __ATOMIC_RELAXED);
    }
    // False if the deadline passed first.
    bool lock(uint64_t deadline_ns = ~uint64_t{0}) {
        if (try_lock()) return true;
        return waiters_.wait_until([this] { return try_lock(); }, deadline_ns);
    }
    void unlock() {
        VERIFY(__atomic_load_n(&owner_, __ATOMIC_RELAXED) == sched::current_thread());
        __atomic_store_n(&owner_, static_cast<sched::Thread*>(nullptr), __ATOMIC_RELEASE);
        waiters_.wake_one();
    }
    sched::Thread* owner() const { return __atomic_load_n(&owner_, __ATOMIC_RELAXED); }

private:
    sched::Thread* owner_ = nullptr;
    WaitQueue waiters_;
};

}  // namespace ksync
