// The lock validator reports each kind of problem the first time it is
// possible, without needing the deadlock to happen.
#include "kernel/sched/scheduler.h"
#include "kernel/sync/guards.h"
#include "kernel/sync/lockdep.h"
#include "kernel/sync/mutex.h"
#include "kernel/sync/pi_mutex.h"
#include "kernel/sync/rwsem.h"
#include "kernel/test/ktest.h"
#include "libk/string.h"

namespace {
bool reported(uint64_t before, const char* kind) {
    return lockdep::report_count() == before + 1 && strcmp(lockdep::last_report_kind(), kind) == 0;
}
}  // namespace

KTEST(lockdep, order_inversion_is_reported_before_any_deadlock) {
    if constexpr (!lockdep::kEnabled) KSKIP("release build: no lock validator");
    static ksync::PiMutex a, b;
    uint64_t before = lockdep::report_count();
    (void)a.lock();
    (void)b.lock();  // learns a -> b
    b.unlock();
    a.unlock();
    KEXPECT_EQ(lockdep::report_count(), before);
    (void)b.lock();
    (void)a.lock();  // b -> a: the inversion, reported now, single-threaded
    a.unlock();
    b.unlock();
    KEXPECT(reported(before, "order inversion"));
    // Said once, not every time.
    (void)b.lock();
    (void)a.lock();
    a.unlock();
    b.unlock();
    KEXPECT_EQ(lockdep::report_count(), before + 1);
}

KTEST(lockdep, recursive_read_is_reported) {
    if constexpr (!lockdep::kEnabled) KSKIP("release build: no lock validator");
    static ksync::Rwsem rwsem;
    uint64_t before = lockdep::report_count();
    rwsem.down_read();
    rwsem.down_read();  // no writer queued: works today, deadlocks the day one is
    rwsem.up_read();
    rwsem.up_read();
    KEXPECT(reported(before, "recursive read"));
}

KTEST(lockdep, sleeping_lock_with_preemption_off_is_reported) {
    if constexpr (!lockdep::kEnabled) KSKIP("release build: no lock validator");
    static ksync::Mutex mutex;
    uint64_t before = lockdep::report_count();
    {
        kernel::PreemptDisabled no_preemption;
        mutex.lock();  // uncontended, so it does not actually sleep: still reported
        mutex.unlock();
    }
    KEXPECT(reported(before, "sleep in atomic"));
}

KTEST(lockdep, spinlock_held_across_a_switch_is_reported) {
    if constexpr (!lockdep::kEnabled) KSKIP("release build: no lock validator");
    static ksync::SpinLock lock;
    uint64_t before = lockdep::report_count();
    {
        kernel::SpinLockIrqSave guard(lock);
        sched::yield();
    }
    KEXPECT(reported(before, "spinlock across switch"));
}
