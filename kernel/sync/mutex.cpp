#include "kernel/sync/mutex.h"

#include "kernel/sched/scheduler.h"
#include "kernel/sync/lockdep.h"
#include "libk/verify.h"

namespace ksync {

bool Mutex::try_take() {
    sched::Thread* expected = nullptr;
    return __atomic_compare_exchange_n(&owner_, &expected, sched::current_thread(), false, __ATOMIC_ACQUIRE,
                                       __ATOMIC_RELAXED);
}

bool Mutex::try_lock() {
    if (!try_take()) return false;
    lockdep::acquired(this, "mutex", lockdep::Mode::Exclusive, __builtin_return_address(0));
    return true;
}

bool Mutex::lock(uint64_t deadline_ns) {
    const void* site = __builtin_return_address(0);
    lockdep::acquire_intent(this, "mutex", lockdep::Mode::Exclusive, site);
    if (!try_take() && !waiters_.wait_until([this] { return try_take(); }, deadline_ns)) return false;
    lockdep::acquired(this, "mutex", lockdep::Mode::Exclusive, site);
    return true;
}

void Mutex::unlock() {
    VERIFY(__atomic_load_n(&owner_, __ATOMIC_RELAXED) == sched::current_thread());
    lockdep::released(this);
    __atomic_store_n(&owner_, static_cast<sched::Thread*>(nullptr), __ATOMIC_RELEASE);
    waiters_.wake_one();
}

}  // namespace ksync
