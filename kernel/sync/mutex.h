#pragma once
// A plain sleeping mutex, without priority inheritance: waiters sleep on a
// wait queue until the owner lets go. Cheap and fair enough where
// priorities do not matter; where they do, use PiMutex (kernel/sync/
// pi_mutex.h): with this one a low-priority owner can be starved by a
// medium-priority thread while a high-priority thread waits (the priority
// inversion the tests demonstrate).
#include <stdint.h>

#include "kernel/sync/wait_queue.h"

namespace ksync {

class Mutex {
public:
    constexpr Mutex() = default;
    Mutex(const Mutex&) = delete;
    Mutex& operator=(const Mutex&) = delete;

    bool try_lock();
    // False if the deadline passed first.
    bool lock(uint64_t deadline_ns = ~uint64_t{0});
    void unlock();
    sched::Thread* owner() const { return __atomic_load_n(&owner_, __ATOMIC_RELAXED); }

private:
    bool try_take();

    sched::Thread* owner_ = nullptr;
    WaitQueue waiters_;
};

}  // namespace ksync
