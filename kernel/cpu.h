#pragma once
// One CPU as the kernel sees it. The architecture part (GS:0 self pointer,
// descriptor tables, IST stacks) comes first so %gs:0 points at both; the
// rest is the kernel's per-CPU state.
#include <stdint.h>

#include "arch/x86_64/percpu.h"
#include "kernel/sched/run_queue.h"
#include "kernel/sync/spinlock.h"
#include "kernel/time/timer_queue.h"
#include "kernel/time/timers.h"

namespace ksync {
class WaitQueue;
}

namespace sched {
struct Thread;
}

namespace kernel {

constexpr unsigned kMaxCpus = 256;

struct Cpu {
    arch::ArchCpu arch;
    volatile bool online = false;
    uint64_t interrupts_by_vector[256] = {};  // per-CPU interrupt statistics

    // Scheduling (kernel/sched/scheduler.cpp). `run_queue_lock` guards the
    // run queue and every queued thread's state and `cpu` field.
    ksync::SpinLock run_queue_lock;
    sched::RunQueue run_queue;
    sched::Thread* current = nullptr;
    sched::Thread* idle = nullptr;
    sched::Thread* switched_from = nullptr;  // finish_switch() releases it
    volatile bool need_resched = false;
    uint32_t irqsave_spinlocks_held = 0;  // lockdep: guards open on this CPU
    ktime::KernelTimer slice_timer;  // ends the current thread's time slice

    // Timers (kernel/time/timers.cpp), ordered by deadline; the local APIC
    // timer is always programmed for the first one.
    ksync::SpinLock timer_lock;
    ktime::TimerQueue timers;
    uint64_t programmed_deadline = ~uint64_t{0};
    // Expired deferred timers, run by this CPU's timer thread.
    k::List<ktime::KernelTimer, &ktime::KernelTimer::deferred_node> deferred_timers;
    ksync::WaitQueue* timer_thread_wakeup = nullptr;
};

// The calling CPU (interrupts or preemption must be off for the answer to
// stay true).
inline Cpu* this_cpu() { return reinterpret_cast<Cpu*>(arch::this_arch_cpu()); }

unsigned cpu_count();         // CPUs online
Cpu* cpu_by_index(unsigned index);
Cpu& boot_cpu();

// Registers a CPU structure at a dense index (the boot CPU is 0).
void register_cpu(Cpu* cpu);

}  // namespace kernel
