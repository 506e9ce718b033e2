#pragma once
// The scheduler: per-CPU run queues (kernel/sched/run_queue.h), kernel
// threads, preemption, wake-ups, sleeping and CPU affinity.
//
// A wake-up, step by step:
//   wake_up(t) ── lock t's CPU run queue (t->cpu) ── t Blocked/Sleeping?
//        │          no: nothing to do (already woken, or never slept)
//        │          still on its CPU (between "I block" and the switch): mark it
//        │            Running again, it will not switch away
//        └─ pick a CPU (affinity; idle CPUs first; real-time threads where
//           they run soonest) ── enqueue there ── should it preempt that
//           CPU's current thread? set need_resched, IPI if remote
//   interrupt exit / preempt_enable() ── need_resched? ── schedule()
#include <stdint.h>

#include "kernel/sched/thread.h"
#include "kernel/sync/spinlock.h"
#include "libk/result.h"

namespace sched {

constexpr uint64_t kForever = ~uint64_t{0};

// The boot CPU's idle thread is the boot context itself; call once, after
// timers_init(). Each AP calls scheduler_init_this_cpu() from its idle path.
void scheduler_init();
void scheduler_init_this_cpu();
// The idle loop of every CPU (never returns).
[[noreturn]] void idle_loop();

struct ThreadOptions {
    const char* name = "kthread";
    Policy policy = Policy::Normal;
    int priority = 0;  // nice for Normal (-20..19), rt priority (1..99) for Fifo/RoundRobin
    k::CpuMask affinity = k::CpuMask::all();
    bool detached = false;  // reaped automatically at exit; cannot be joined
    // User threads (kernel/proc): set before the thread can first run.
    mm::AddressSpace* address_space = nullptr;
    proc::UserThread* user = nullptr;
    uint64_t reserved_stack_top = 0;  // bytes kept free at the stack top (the user frame)
};

// Creates a thread and makes it runnable. ENOMEM, EINVAL (bad priority or
// an affinity with no online CPU).
k::Result<Thread*> thread_create(void (*entry)(void*), void* argument, const ThreadOptions& options);
// Waits for `thread` to exit and frees it. Not for detached threads.
void thread_join(Thread* thread);
[[noreturn]] void thread_exit();

Thread* current_thread();
void yield();
void schedule();

// Sleeps until the monotonic clock reaches deadline_ns.
void sleep_until(uint64_t deadline_ns);
void sleep_ns(uint64_t ns);

// The sleeping step every blocking primitive shares. The caller holds
// `held`, the spinlock of the structure it waits on (interrupts off), and
// has made itself findable there by wakers. This marks the thread waiting
// (Sleeping if there is a deadline, which arms its wake timer; Blocked
// otherwise), releases `held`, and switches away. It returns once woken or
// timed out, with `held` taken again and interrupts still off. A wake-up
// between the release and the switch is not lost: the thread just keeps
// running (see wake_up()).
void block_and_relock(ksync::SpinLock& held, uint64_t deadline_ns);

// Makes a Blocked or Sleeping thread runnable; false if it was not waiting.
bool wake_up(Thread* thread);

k::Result<void> set_scheduling(Thread* thread, Policy policy, int priority);
// Priority inheritance: sets the effective priority (0..139, lower is
// better) without touching the base one; requeues and preempts as needed.
void set_effective_prio(Thread* thread, int prio);
void pi_base_prio_changed(Thread* thread);
k::Result<void> set_affinity(Thread* thread, const k::CpuMask& mask);

// Hook for the interrupt path: switch threads if this CPU needs to.
void preempt_on_interrupt_exit(bool interrupted_with_interrupts_enabled);

struct SchedulerStats {
    uint64_t threads_alive;
    uint64_t threads_created;
};
SchedulerStats scheduler_stats();

}  // namespace sched
