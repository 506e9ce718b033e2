#pragma once
// Kernel timers: a callback at an absolute monotonic time, on the CPU that
// armed it, from the local APIC timer interrupt. Each CPU keeps its timers
// ordered (ktime::TimerQueue) and programs its APIC timer for the first one
// only: no periodic tick, so an idle CPU sleeps until its next event.
#include <stdint.h>

#include "kernel/time/timer_queue.h"
#include "libk/list.h"

namespace ktime {

struct KernelTimer {
    using Callback = void (*)(void* context);
    KernelTimer() = default;
    KernelTimer(const KernelTimer&) = delete;
    KernelTimer& operator=(const KernelTimer&) = delete;

    Callback callback = nullptr;
    void* context = nullptr;
    // Deferred: the callback runs in the CPU's timer thread (a real-time
    // kernel thread, FIFO 90), not in the interrupt, so it may take
    // sleeping locks. Wake-ups and time slices stay in the interrupt.
    bool deferred = false;
    // Internals: the queued timer, its CPU, whether its callback runs right
    // now (cancel_sync waits for that to end), the deferred list.
    Timer timer;
    unsigned cpu = 0;
    volatile bool running = false;
    k::ListNode deferred_node;
};

void timers_init();  // installs the timer interrupt handler
// Starts each online CPU's timer thread (after the scheduler and the APs).
void start_timer_threads();

// Arms (or re-arms) `t` on the calling CPU.
void timer_arm(KernelTimer& t, uint64_t deadline_ns);
// Disarms `t` and waits until a callback already running has finished, so
// the caller may free what the callback uses. Returns whether it was armed.
bool timer_cancel_sync(KernelTimer& t);

}  // namespace ktime
