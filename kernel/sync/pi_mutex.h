#pragma once
// A priority-inheriting mutex, in the style of Linux's rt_mutex.
//
// While a thread waits for the mutex, the owner runs at the better of its
// own priority and its best waiter's; if the owner itself waits for another
// PI mutex, the boost travels along the whole chain (kernel/sync/pi_core.h
// does the bookkeeping). Unlock hands the mutex straight to the best waiter.
// Uncontended lock and unlock are one compare-and-swap each on the owner
// word and never touch the wait list or its lock.
//
// Without inheritance a low-priority owner can be kept off the CPU by a
// medium-priority thread while a high-priority thread waits for it
// indefinitely (priority inversion; see kernel/sync/mutex.h and the tests).
#include <stdint.h>

#include "kernel/sync/pi_core.h"
#include "libk/result.h"

namespace sched {
struct Thread;
}

namespace ksync {

class PiMutex {
public:
    constexpr PiMutex() = default;
    PiMutex(const PiMutex&) = delete;
    PiMutex& operator=(const PiMutex&) = delete;

    // edeadlk if the caller owns it already or waiting would close a cycle
    // of owners; etimedout if the deadline (monotonic ns) passed first.
    k::Result<void> lock(uint64_t deadline_ns = ~uint64_t{0});
    bool try_lock();
    void unlock();
    sched::Thread* owner() const;

private:
    k::Result<void> lock_slow(uint64_t deadline_ns);
    void unlock_slow();
    void forget_waiters();

    // The owning Thread*, with bit 0 set while anybody waits (which sends
    // unlock down the slow path). 0: free.
    uintptr_t owner_word_ = 0;
    pi::Lock pi_;  // guarded by the global PI lock
};

}  // namespace ksync
