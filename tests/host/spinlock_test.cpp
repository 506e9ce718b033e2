#include "kernel/sync/spinlock.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace {

TEST(SpinLock, MutualExclusionUnderContention) {
    ksync::SpinLock lock;
    // A non-atomic read-modify-write: lost updates show up as a short count.
    uint64_t counter = 0;
    constexpr int kThreads = 4, kIterations = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kIterations; ++i) {
                ksync::SpinLockGuard guard(lock);
                uint64_t value = counter;
                asm volatile("" ::: "memory");
                counter = value + 1;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(counter, uint64_t{kThreads} * kIterations);
    EXPECT_FALSE(lock.is_locked());
}

TEST(SpinLock, TryLockFailsWhileHeldAndSucceedsAfter) {
    ksync::SpinLock lock;
    EXPECT_TRUE(lock.try_lock());
    EXPECT_TRUE(lock.is_locked());
    EXPECT_FALSE(lock.try_lock());
    lock.unlock();
    EXPECT_FALSE(lock.is_locked());
    EXPECT_TRUE(lock.try_lock());
    lock.unlock();
}

// Tickets are served in order: a waiter that took its ticket first gets the
// lock first (checked by handing the lock through a chain of threads).
TEST(SpinLock, TicketsAreServedInOrder) {
    ksync::SpinLock lock;
    std::vector<int> order;
    lock.lock();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            lock.lock();
            order.push_back(t);
            lock.unlock();
        });
        // Wait until thread t holds its ticket before starting the next.
        while (lock.queued() != static_cast<uint32_t>(t) + 2) std::this_thread::yield();
    }
    lock.unlock();
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

}  // namespace
