#pragma once
// A condition variable: wait for a predicate over data guarded by a mutex,
// releasing the mutex while asleep and holding it again on return.
//
//   mutex.lock();
//   while (!ready) cv.wait(mutex);     // or cv.wait_until(mutex, deadline)
//   ... use the data ...
//   mutex.unlock();
//
//   mutex.lock(); ready = true; mutex.unlock(); cv.notify_one();
//
// Works with any lock that has lock()/unlock() (PiMutex, Mutex). Like every
// condition variable, a wake-up only says "look again": callers loop.
#include <stdint.h>

#include "kernel/sync/wait_queue.h"

namespace ksync {

class ConditionVariable {
public:
    constexpr ConditionVariable() = default;

    // Releases `mutex`, sleeps until notified (or the deadline), takes the
    // mutex again. False if the deadline passed without a notification.
    template <typename Lock> bool wait_until(Lock& mutex, uint64_t deadline_ns = ~uint64_t{0}) {
        // The ticket is taken while the mutex is still held: a notify after
        // our unlock advances the sequence, so it cannot be missed.
        const uint64_t ticket = __atomic_load_n(&sequence_, __ATOMIC_ACQUIRE);
        mutex.unlock();
        const bool notified = queue_.wait_until(
            [this, ticket] { return __atomic_load_n(&sequence_, __ATOMIC_ACQUIRE) != ticket; }, deadline_ns);
        (void)mutex.lock();
        return notified;
    }
    template <typename Lock> void wait(Lock& mutex) { wait_until(mutex); }

    void notify_one() {
        __atomic_fetch_add(&sequence_, 1, __ATOMIC_RELEASE);
        queue_.wake_one();
    }
    void notify_all() {
        __atomic_fetch_add(&sequence_, 1, __ATOMIC_RELEASE);
        queue_.wake_all();
    }

private:
    WaitQueue queue_;
    uint64_t sequence_ = 0;
};

}  // namespace ksync
