#pragma once
// A light lock validator (debug builds: config::kDebug). It watches the
// sleeping locks (PiMutex, Mutex, Rwsem) and the interrupt-safe spinlock
// guards, and reports, once each, with the call sites involved:
//   - a lock-order inversion: A taken before B somewhere, B before A
//     elsewhere. Reported the first time the second order happens, whether
//     or not the two paths ever race, i.e. before it can deadlock;
//   - taking an rwsem for read while already holding it (deadlocks as soon
//     as a writer queues in between; see kernel/sync/rwsem_state.h);
//   - sleeping in atomic context: a sleeping lock or wait with preemption
//     off, interrupts off, or an interrupt-safe spinlock held;
//   - an interrupt-safe spinlock held across a context switch.
// Locks are tracked by instance (address), not by class as Linux's lockdep
// does: simpler, and enough for the kernel's long-lived locks. Per-object
// locks that come and go (a thread's) would fill the table; past its size
// the validator stops learning new locks and says so once.
//
// A report is a log line starting "LOCKDEP:"; it does not stop the kernel.
#include <stdint.h>

#include "config.h"

namespace lockdep {

constexpr bool kEnabled = config::kDebug;

enum class Mode : uint8_t { Exclusive, Shared };

// Before a sleeping lock may block: the order and recursion checks (so a
// deadlock is reported before it happens) and the atomic-context check.
// `writer_queued` (rwsems): a writer waits, so a recursive read hangs now.
void acquire_intent(const void* lock, const char* kind, Mode mode, const void* site, bool writer_queued = false);
void acquired(const void* lock, const char* kind, Mode mode, const void* site);
void released(const void* lock);
// A call that may sleep (wait queues, sleep_until).
void might_sleep(const char* what, const void* site);

// Interrupt-safe spinlock guards held on this CPU (kernel/sync/guards.h).
void spinlock_guard_entered();
void spinlock_guard_left();
// schedule() is about to switch threads.
void context_switch_check(const void* site);

// For tests: how many reports so far, and the kind of the last one.
uint64_t report_count();
const char* last_report_kind();

}  // namespace lockdep
