// Sleeping synchronisation built on wait queues: completions and counting
// semaphores, across CPUs.
#include "kernel/cpu.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sync/completion.h"
#include "kernel/sync/semaphore.h"
#include "kernel/test/ktest.h"
#include "kernel/time/clock.h"

namespace {
constexpr uint64_t kMs = 1000000;
sched::ThreadOptions normal_thread(const char* name) {
    return sched::ThreadOptions{.name = name, .policy = sched::Policy::Normal, .priority = 0,
                                .affinity = k::CpuMask::all(), .detached = false};
}
}  // namespace

KTEST(sync, completion_before_and_after_waiting) {
    static ksync::Completion done;
    done.reset();
    done.complete();
    KEXPECT(done.wait(ktime::monotonic_ns() + 1 * kMs));  // already complete: not lost
    done.reset();
    KEXPECT(!done.wait(ktime::monotonic_ns() + 2 * kMs));  // nobody completes it: times out
    auto t = sched::thread_create([](void*) {
        sched::sleep_ns(3 * kMs);
        done.complete();
    }, nullptr, normal_thread("completer"));
    KASSERT(t.ok());
    KEXPECT(done.wait());
    sched::thread_join(t.value());
}

// A semaphore of 3 units, 8 threads taking and giving them back many
// times: never more than 3 inside at once, and every unit returns.
KTEST(sync, semaphore_bounds_concurrency) {
    static ksync::Semaphore units(3);
    static int inside, most_inside, rounds_done;  // touched only atomically
    inside = 0;
    most_inside = 0;
    rounds_done = 0;
    sched::Thread* threads[8];
    for (auto& thread : threads) {
        auto t = sched::thread_create([](void*) {
            for (int i = 0; i < 100; ++i) {
                units.down();
                int now = __atomic_add_fetch(&inside, 1, __ATOMIC_ACQ_REL);
                int seen = most_inside;
                while (now > seen && !__atomic_compare_exchange_n(&most_inside, &seen, now, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
                }
                if (i % 7 == 0) sched::yield();
                __atomic_sub_fetch(&inside, 1, __ATOMIC_ACQ_REL);
                units.up();
            }
            __atomic_add_fetch(&rounds_done, 1, __ATOMIC_ACQ_REL);
        }, nullptr, normal_thread("sem"));
        KASSERT(t.ok());
        thread = t.value();
    }
    for (auto* thread : threads) sched::thread_join(thread);
    KEXPECT_EQ(rounds_done, 8);
    KEXPECT(most_inside <= 3 && most_inside >= 1);
    KEXPECT_EQ(units.count(), 3);
    KEXPECT(units.try_down() && units.try_down() && units.try_down());
    KEXPECT(!units.try_down());
    KEXPECT(!units.down(ktime::monotonic_ns() + 2 * kMs));
    units.up();
    units.up();
    units.up();
}

// Producer/consumer over a PI mutex and two condition variables: every item
// arrives once, in order, across CPUs, with the buffer never over- or
// under-flowing.
#include "kernel/sync/condition_variable.h"
#include "kernel/sync/pi_mutex.h"

KTEST(sync, condition_variables_hand_items_over_in_order) {
    struct Buffer {
        ksync::PiMutex mutex;
        ksync::ConditionVariable not_empty, not_full;
        int items[4];
        int head, count;
        int received, errors;
    };
    static Buffer buffer;
    buffer.head = buffer.count = buffer.received = buffer.errors = 0;
    constexpr int kItems = 500;
    auto consumer = sched::thread_create([](void*) {
        for (int expected = 0; expected < kItems; ++expected) {
            (void)buffer.mutex.lock();
            while (buffer.count == 0) buffer.not_empty.wait(buffer.mutex);
            int item = buffer.items[buffer.head];
            buffer.head = (buffer.head + 1) % 4;
            --buffer.count;
            if (item != expected) ++buffer.errors;
            ++buffer.received;
            buffer.mutex.unlock();
            buffer.not_full.notify_one();
        }
    }, nullptr, normal_thread("consumer"));
    KASSERT(consumer.ok());
    for (int item = 0; item < kItems; ++item) {
        (void)buffer.mutex.lock();
        while (buffer.count == 4) buffer.not_full.wait(buffer.mutex);
        buffer.items[(buffer.head + buffer.count) % 4] = item;
        ++buffer.count;
        buffer.mutex.unlock();
        buffer.not_empty.notify_one();
    }
    sched::thread_join(consumer.value());
    KEXPECT_EQ(buffer.received, kItems);
    KEXPECT_EQ(buffer.errors, 0);
    // A wait with nobody to notify times out, and still returns holding the lock.
    (void)buffer.mutex.lock();
    KEXPECT(!buffer.not_empty.wait_until(buffer.mutex, ktime::monotonic_ns() + 2 * kMs));
    KEXPECT(buffer.mutex.owner() == sched::current_thread());
    buffer.mutex.unlock();
}
