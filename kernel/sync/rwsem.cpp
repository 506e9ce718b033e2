#include "kernel/sync/rwsem.h"

#include "kernel/sched/scheduler.h"
#include "kernel/sync/guards.h"
#include "kernel/sync/lockdep.h"

namespace ksync {

namespace {
// The state marks each granted waiter; wake-ups happen after the spinlock is
// dropped (granted_.wake_all()), so nothing to do per waiter here.
void note_grant(RwsemWaiter&) {}
}  // namespace

namespace {
lockdep::Mode mode_of(bool writer) { return writer ? lockdep::Mode::Exclusive : lockdep::Mode::Shared; }
}  // namespace

bool Rwsem::try_down_read() {
    bool taken;
    {
        kernel::SpinLockIrqSave guard(lock_);
        taken = state_.try_read();
    }
    if (taken) lockdep::acquired(this, "rwsem", lockdep::Mode::Shared, __builtin_return_address(0));
    return taken;
}

bool Rwsem::try_down_write() {
    bool taken;
    {
        kernel::SpinLockIrqSave guard(lock_);
        taken = state_.try_write();
    }
    if (taken) lockdep::acquired(this, "rwsem", lockdep::Mode::Exclusive, __builtin_return_address(0));
    return taken;
}

// down_read/down_write are inline, so the return address here is in their
// caller: the call site lockdep reports.
bool Rwsem::down(bool writer, uint64_t deadline_ns) {
    const void* site = __builtin_return_address(0);
    lockdep::acquire_intent(this, "rwsem", mode_of(writer), site, state_.queued() != 0);
    if (!down_blocking(writer, deadline_ns)) return false;
    lockdep::acquired(this, "rwsem", mode_of(writer), site);
    return true;
}

bool Rwsem::down_blocking(bool writer, uint64_t deadline_ns) {
    RwsemWaiter waiter = writer ? RwsemWaiter::for_write(sched::current_thread())
                                : RwsemWaiter::for_read(sched::current_thread());
    {
        kernel::SpinLockIrqSave guard(lock_);
        if (writer ? state_.try_write() : state_.try_read()) return true;
        if (state_.enqueue(waiter)) return true;
    }
    if (granted_.wait_until([&waiter] { return __atomic_load_n(&waiter.granted, __ATOMIC_ACQUIRE); }, deadline_ns)) {
        return true;
    }
    // Timed out. The grant may have raced with the time-out: then we own it.
    bool cancelled;
    {
        kernel::SpinLockIrqSave guard(lock_);
        cancelled = state_.cancel(waiter, note_grant);
    }
    if (!cancelled) return true;
    granted_.wake_all();  // our leaving may have let readers behind us in
    return false;
}

void Rwsem::up_read() {
    lockdep::released(this);
    {
        kernel::SpinLockIrqSave guard(lock_);
        state_.read_unlock(note_grant);
    }
    granted_.wake_all();
}

void Rwsem::up_write() {
    lockdep::released(this);
    {
        kernel::SpinLockIrqSave guard(lock_);
        state_.write_unlock(note_grant);
    }
    granted_.wake_all();
}

void Rwsem::downgrade_write() {
    {
        kernel::SpinLockIrqSave guard(lock_);
        state_.downgrade_write(note_grant);
    }
    granted_.wake_all();
    lockdep::released(this);
    lockdep::acquired(this, "rwsem", lockdep::Mode::Shared, __builtin_return_address(0));
}

int Rwsem::readers() {
    kernel::SpinLockIrqSave guard(lock_);
    return state_.readers();
}

bool Rwsem::writer_held() {
    kernel::SpinLockIrqSave guard(lock_);
    return state_.writer_held();
}

}  // namespace ksync
