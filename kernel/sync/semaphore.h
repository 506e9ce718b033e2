#pragma once
// A counting semaphore: down() takes one unit, sleeping while there are
// none; up() gives one back and wakes a sleeper. Waiters are woken in the
// order they came (the wait queue is FIFO).
#include <stdint.h>

#include "kernel/sync/wait_queue.h"

namespace ksync {

class Semaphore {
public:
    explicit constexpr Semaphore(int64_t count) : count_(count) {}

    // False if the deadline passed first.
    bool down(uint64_t deadline_ns = ~uint64_t{0}) {
        return queue_.wait_until([this] { return try_down(); }, deadline_ns);
    }
    bool try_down() {
        int64_t current = __atomic_load_n(&count_, __ATOMIC_RELAXED);
        while (current > 0) {
            if (__atomic_compare_exchange_n(&count_, &current, current - 1, false, __ATOMIC_ACQUIRE,
                                            __ATOMIC_RELAXED)) {
                return true;
            }
        }
        return false;
    }
    void up() {
        __atomic_fetch_add(&count_, 1, __ATOMIC_RELEASE);
        queue_.wake_one();
    }
    int64_t count() const { return __atomic_load_n(&count_, __ATOMIC_RELAXED); }

private:
    WaitQueue queue_;
    int64_t count_;
};

}  // namespace ksync
