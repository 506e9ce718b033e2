#include "kernel/futex/futex.h"

#include "kernel/cpu.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/user_access.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal_delivery.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sync/guards.h"
#include "kernel/time/clock.h"
#include "libk/list.h"

namespace futex {

namespace {

struct Key {
    const void* space;
    uint64_t address;
    bool operator==(const Key&) const = default;
};

// A waiter lives on its thread's kernel stack for as long as it waits.
struct Waiter {
    k::ListNode node;
    Key key;
    uint32_t bitset;
    sched::Thread* thread;
    bool woken;
};

struct Bucket {
    ksync::SpinLock lock;  // interrupts off
    k::List<Waiter, &Waiter::node> waiters;
};

constexpr unsigned kBuckets = 256;
Bucket buckets[kBuckets];

Bucket& bucket_of(const Key& key) {
    uint64_t h = key.address ^ (reinterpret_cast<uint64_t>(key.space) * 0x9e3779b97f4a7c15ull);
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return buckets[h % kBuckets];
}

k::Result<Key> key_of(uint64_t address) {
    if ((address & 3) != 0) return k::error(k::Errno::einval);
    if (!mm::user_range_ok(address, 4)) return k::error(k::Errno::efault);
    return Key{sched::current_thread()->address_space, address};
}

}  // namespace

void futex_init() {}

k::Result<void> wait(uint64_t address, uint32_t expected, uint64_t deadline_ns, uint32_t bitset, bool) {
    if (bitset == 0) return k::error(k::Errno::einval);
    const Key key = TRY(key_of(address));
    Bucket& bucket = bucket_of(key);
    proc::UserThread* self = proc::current_user_thread();
    Waiter waiter{};
    waiter.key = key;
    waiter.bitset = bitset;
    waiter.thread = sched::current_thread();
    // Read the word under the bucket lock, without faulting (a fault would
    // sleep with the lock held): a waker that changes the word and then
    // takes the lock cannot slip between check and sleep. If the page is
    // not present, drop the lock, fault it in, and try once more.
    for (unsigned attempt = 0; attempt < 2; ++attempt) {
        if (attempt > 0) TRY(mm::fault_in_user_page(address, false));
        kernel::IrqSaveGuard irq;
        ksync::SpinLockGuard guard(bucket.lock);
        uint32_t value;
        if (!mm::copy_from_user_inatomic(&value, address, sizeof value).ok()) continue;
        if (value != expected) return k::error(k::Errno::eagain);
        bucket.waiters.push_back(waiter);
        while (!waiter.woken) {
            if (self != nullptr && proc::signal_pending(*self)) break;
            if (deadline_ns != sched::kForever && ktime::monotonic_ns() >= deadline_ns) break;
            sched::block_and_relock(bucket.lock, deadline_ns);
        }
        if (waiter.woken) return {};
        bucket.waiters.remove(waiter);
        if (self != nullptr && proc::signal_pending(*self)) return k::error(k::Errno::eintr);
        return k::error(k::Errno::etimedout);
    }
    return k::error(k::Errno::efault);
}

k::Result<int> wake(uint64_t address, int count, uint32_t bitset, bool) {
    if (bitset == 0) return k::error(k::Errno::einval);
    const Key key = TRY(key_of(address));
    Bucket& bucket = bucket_of(key);
    int woken = 0;
    kernel::IrqSaveGuard irq;
    ksync::SpinLockGuard guard(bucket.lock);
    for (Waiter* waiter = bucket.waiters.front(); waiter != nullptr && woken < count;) {
        Waiter* next = bucket.waiters.next(*waiter);
        if (waiter->key == key && (waiter->bitset & bitset) != 0) {
            bucket.waiters.remove(*waiter);
            waiter->woken = true;
            sched::wake_up(waiter->thread);
            ++woken;
        }
        waiter = next;
    }
    return woken;
}

void exit_robust_list(proc::UserThread&) {}

int64_t sys_futex(uint64_t address, int op, uint32_t value, uint64_t timeout, uint64_t, uint32_t value3) {
    constexpr int kWait = 0, kWake = 1, kWaitBitset = 9, kWakeBitset = 10, kPrivate = 128, kClockRealtime = 256;
    const int command = op & ~(kPrivate | kClockRealtime);
    const bool is_private = (op & kPrivate) != 0;
    switch (command) {
        case kWait:
        case kWaitBitset: {
            uint64_t deadline = sched::kForever;
            if (timeout != 0) {
                struct {
                    int64_t seconds, nanoseconds;
                } spec;
                auto copied = mm::copy_from_user(&spec, timeout, sizeof spec);
                if (!copied.ok()) return -static_cast<int64_t>(copied.error());
                if (spec.seconds < 0 || spec.nanoseconds < 0 || spec.nanoseconds >= 1000000000) {
                    return -static_cast<int64_t>(k::Errno::einval);
                }
                const uint64_t ns = static_cast<uint64_t>(spec.seconds) * 1000000000 + spec.nanoseconds;
                // FUTEX_WAIT: relative; FUTEX_WAIT_BITSET: absolute (monotonic
                // clock here, the realtime clock starts at boot too).
                deadline = command == kWait ? ktime::monotonic_ns() + ns : ns;
            }
            auto result = wait(address, value, deadline, command == kWait ? kBitsetAll : value3, is_private);
            return result.ok() ? 0 : -static_cast<int64_t>(result.error());
        }
        case kWake:
        case kWakeBitset: {
            auto result = wake(address, static_cast<int>(value), command == kWake ? kBitsetAll : value3, is_private);
            return result.ok() ? result.value() : -static_cast<int64_t>(result.error());
        }
        default: return -static_cast<int64_t>(k::Errno::enosys);
    }
}

}  // namespace futex
