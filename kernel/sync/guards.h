#pragma once
// Scoped guards whose type says what they do to interrupts and preemption,
// so no reader has to match a disable with its enable.
//
//   IrqSaveGuard        interrupts off on this CPU (restored to what they were)
//   PreemptDisabled     this thread stays on this CPU (interrupts still on)
//   SpinLockIrqSave     interrupts off + a spinlock: the lock for data an
//                       interrupt handler also touches
#include "arch/x86_64/cpu.h"
#include "kernel/sync/lockdep.h"
#include "kernel/sync/spinlock.h"

namespace kernel {

void preempt_disable();
void preempt_enable();  // may switch threads if a reschedule is pending

class IrqSaveGuard {
public:
    IrqSaveGuard() : were_enabled_(arch::interrupts_enabled()) { arch::disable_interrupts(); }
    ~IrqSaveGuard() {
        if (were_enabled_) arch::enable_interrupts();
    }
    bool interrupts_were_enabled() const { return were_enabled_; }
    IrqSaveGuard(const IrqSaveGuard&) = delete;
    IrqSaveGuard& operator=(const IrqSaveGuard&) = delete;

private:
    bool were_enabled_;
};

class PreemptDisabled {
public:
    PreemptDisabled() { preempt_disable(); }
    ~PreemptDisabled() { preempt_enable(); }
    PreemptDisabled(const PreemptDisabled&) = delete;
    PreemptDisabled& operator=(const PreemptDisabled&) = delete;
};

class SpinLockIrqSave {
public:
    explicit SpinLockIrqSave(ksync::SpinLock& lock) : lock_(lock) {
        lock_.lock();
        lockdep::spinlock_guard_entered();
    }
    ~SpinLockIrqSave() {
        lockdep::spinlock_guard_left();
        lock_.unlock();
    }
    SpinLockIrqSave(const SpinLockIrqSave&) = delete;
    SpinLockIrqSave& operator=(const SpinLockIrqSave&) = delete;

private:
    IrqSaveGuard irq_;  // constructed first, destroyed last: the lock is only held with interrupts off
    ksync::SpinLock& lock_;
};

}  // namespace kernel
