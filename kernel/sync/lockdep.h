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

// The checks themselves (kernel/sync/lockdep.cpp). Called through the inline
// wrappers below, which compile to nothing in release builds: the lock fast
// paths pay no call.
void acquire_intent_impl(const void* lock, const char* kind, Mode mode, const void* site, bool writer_queued);
void acquired_impl(const void* lock, const char* kind, Mode mode, const void* site);
void released_impl(const void* lock);
void might_sleep_impl(const char* what, const void* site);
void spinlock_guard_entered_impl();
void spinlock_guard_left_impl();
void context_switch_check_impl(const void* site);

// Before a sleeping lock may block: the order and recursion checks (so a
// deadlock is reported before it happens) and the atomic-context check.
// `writer_queued` (rwsems): a writer waits, so a recursive read hangs now.
inline void acquire_intent(const void* lock, const char* kind, Mode mode, const void* site, bool writer_queued = false) {
    if constexpr (kEnabled) acquire_intent_impl(lock, kind, mode, site, writer_queued);
}
inline void acquired(const void* lock, const char* kind, Mode mode, const void* site) {
    if constexpr (kEnabled) acquired_impl(lock, kind, mode, site);
}
inline void released(const void* lock) {
    if constexpr (kEnabled) released_impl(lock);
}
// A call that may sleep (wait queues, sleep_until).
inline void might_sleep(const char* what, const void* site) {
    if constexpr (kEnabled) might_sleep_impl(what, site);
}
// Interrupt-safe spinlock guards held on this CPU (kernel/sync/guards.h).
inline void spinlock_guard_entered() {
    if constexpr (kEnabled) spinlock_guard_entered_impl();
}
inline void spinlock_guard_left() {
    if constexpr (kEnabled) spinlock_guard_left_impl();
}
// schedule() is about to switch threads.
inline void context_switch_check(const void* site) {
    if constexpr (kEnabled) context_switch_check_impl(site);
}

// For tests: how many reports so far, and the kind of the last one.
uint64_t report_count();
const char* last_report_kind();

}  // namespace lockdep
