#include "kernel/time/timers.h"

#include "arch/x86_64/cpu.h"
#include "kernel/cpu.h"
#include "kernel/irq/irq.h"
#include "kernel/sync/guards.h"
#include "kernel/time/clock.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sync/wait_queue.h"
#include "libk/new.h"

namespace ktime {

namespace {

KernelTimer* owner_of(Timer& timer) { return static_cast<KernelTimer*>(timer.context); }

// Programs the APIC timer for the CPU's first deadline. Caller holds the
// CPU's timer lock with interrupts off.
void reprogram(kernel::Cpu* cpu) {
    uint64_t next = cpu->timers.next_deadline();
    if (next == cpu->programmed_deadline) return;
    cpu->programmed_deadline = next;
    program_timer_at(next);
}

void handle_timer_interrupt(void*) {
    kernel::Cpu* cpu = kernel::this_cpu();
    cpu->timer_lock.lock();
    cpu->programmed_deadline = ~uint64_t{0};  // the one-shot has fired
    bool deferred_work = false;
    cpu->timers.expire(monotonic_ns(), [cpu, &deferred_work](Timer& timer) {
        KernelTimer* t = owner_of(timer);
        if (t->deferred && cpu->timer_thread_wakeup != nullptr) {
            cpu->deferred_timers.push_back(*t);
            deferred_work = true;
            return;
        }
        t->running = true;
        cpu->timer_lock.unlock();
        t->callback(t->context);
        cpu->timer_lock.lock();
        __atomic_store_n(&t->running, false, __ATOMIC_RELEASE);
    });
    reprogram(cpu);
    cpu->timer_lock.unlock();
    if (deferred_work) cpu->timer_thread_wakeup->wake_one();
}

// The CPU's timer thread: runs the callbacks of expired deferred timers in
// thread context, one at a time, in expiry order.
void timer_thread_main(void* context) {
    auto cpu = static_cast<kernel::Cpu*>(context);
    for (;;) {
        cpu->timer_thread_wakeup->wait_until([cpu] {
            ksync::SpinLockGuard guard(cpu->timer_lock);
            return !cpu->deferred_timers.empty();
        });
        for (;;) {
            KernelTimer* t;
            {
                kernel::SpinLockIrqSave guard(cpu->timer_lock);
                t = cpu->deferred_timers.pop_front();
                if (t == nullptr) break;
                t->running = true;
            }
            t->callback(t->context);
            __atomic_store_n(&t->running, false, __ATOMIC_RELEASE);
        }
    }
}

}  // namespace

void timers_init() { kirq::set_timer_handler(handle_timer_interrupt); }

void start_timer_threads() {
    for (unsigned i = 0; kernel::Cpu* cpu = kernel::cpu_by_index(i); ++i) {
        if (!cpu->online || cpu->timer_thread_wakeup != nullptr) continue;
        void* memory = mm::kzalloc(sizeof(ksync::WaitQueue));
        if (memory == nullptr) continue;
        auto wakeup = new (memory) ksync::WaitQueue();
        sched::ThreadOptions options{.name = "ktimer", .policy = sched::Policy::Fifo, .priority = 90,
                                     .affinity = k::CpuMask::only(i), .detached = true};
        // Published before the thread exists; the interrupt only queues
        // deferred timers once it is set, and the thread drains them.
        {
            kernel::SpinLockIrqSave guard(cpu->timer_lock);
            cpu->timer_thread_wakeup = wakeup;
        }
        if (!sched::thread_create(timer_thread_main, cpu, options).ok()) {
            kernel::SpinLockIrqSave guard(cpu->timer_lock);
            cpu->timer_thread_wakeup = nullptr;  // deferred timers then run in the interrupt
        }
    }
}

void timer_arm(KernelTimer& t, uint64_t deadline_ns) {
    kernel::IrqSaveGuard irq;
    kernel::Cpu* cpu = kernel::this_cpu();
    // A timer still queued on another CPU is taken off there first.
    if (t.timer.armed() && t.cpu != cpu->arch.index) timer_cancel_sync(t);
    t.timer.callback = nullptr;
    t.timer.context = &t;
    t.cpu = cpu->arch.index;
    ksync::SpinLockGuard guard(cpu->timer_lock);
    if (t.deferred_node.is_linked()) cpu->deferred_timers.remove(t);  // expired, not run yet: superseded
    cpu->timers.arm(t.timer, deadline_ns);
    reprogram(cpu);
}

bool timer_cancel_sync(KernelTimer& t) {
    kernel::Cpu* cpu = kernel::cpu_by_index(t.cpu);
    if (cpu == nullptr) return false;
    bool was_armed;
    {
        kernel::SpinLockIrqSave guard(cpu->timer_lock);
        was_armed = cpu->timers.cancel(t.timer);
        if (t.deferred_node.is_linked()) {  // expired, waiting for the timer thread
            cpu->deferred_timers.remove(t);
            was_armed = true;
        }
        if (cpu == kernel::this_cpu()) reprogram(cpu);
    }
    while (__atomic_load_n(&t.running, __ATOMIC_ACQUIRE)) arch::pause();
    return was_armed;
}

}  // namespace ktime
