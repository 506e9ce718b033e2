#pragma once
// Wait queues: threads sleep until a condition holds, wakers wake one or
// all. The condition is checked under the queue's lock, after the thread has
// marked itself as waiting, so a wake-up between "check" and "sleep" is
// never lost.
//
//   queue.wait_until([&] { return data_ready; });      // waiter
//   data_ready = true; queue.wake_all();               // waker (any context)
#include <stdint.h>

#include "kernel/sched/thread.h"
#include "kernel/sync/spinlock.h"
#include "libk/list.h"

namespace ksync {

class WaitQueue {
public:
    constexpr WaitQueue() = default;
    WaitQueue(const WaitQueue&) = delete;
    WaitQueue& operator=(const WaitQueue&) = delete;

    // Blocks until cond() is true; with a deadline (monotonic ns), gives up
    // then and returns false. cond() runs with the queue's lock held and
    // interrupts off: keep it a cheap read.
    template <typename Condition> bool wait_until(Condition&& cond, uint64_t deadline_ns = ~uint64_t{0}) {
        auto trampoline = [](void* context) { return (*static_cast<Condition*>(context))(); };
        return wait(trampoline, &cond, deadline_ns);
    }

    void wake_one();
    void wake_all();
    bool has_waiters();

private:
    bool wait(bool (*cond)(void*), void* context, uint64_t deadline_ns);

    SpinLock lock_;
    k::List<sched::Thread, &sched::Thread::wait_node> waiters_;
};

}  // namespace ksync
