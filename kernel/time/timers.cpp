#include "kernel/time/timers.h"

#include "arch/x86_64/cpu.h"
#include "kernel/cpu.h"
#include "kernel/irq/irq.h"
#include "kernel/sync/guards.h"
#include "kernel/time/clock.h"

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
    cpu->timers.expire(monotonic_ns(), [cpu](Timer& timer) {
        KernelTimer* t = owner_of(timer);
        t->running = true;
        cpu->timer_lock.unlock();
        t->callback(t->context);
        cpu->timer_lock.lock();
        __atomic_store_n(&t->running, false, __ATOMIC_RELEASE);
    });
    reprogram(cpu);
    // A timer re-armed into the past by its callback waits for the next
    // round (TimerQueue::expire is bounded); fire that round at once.
    cpu->timer_lock.unlock();
}

}  // namespace

void timers_init() { kirq::set_timer_handler(handle_timer_interrupt); }

void timer_arm(KernelTimer& t, uint64_t deadline_ns) {
    kernel::IrqSaveGuard irq;
    kernel::Cpu* cpu = kernel::this_cpu();
    // A timer still queued on another CPU is taken off there first.
    if (t.timer.armed() && t.cpu != cpu->arch.index) timer_cancel_sync(t);
    t.timer.callback = nullptr;
    t.timer.context = &t;
    t.cpu = cpu->arch.index;
    ksync::SpinLockGuard guard(cpu->timer_lock);
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
        if (cpu == kernel::this_cpu()) reprogram(cpu);
    }
    while (__atomic_load_n(&t.running, __ATOMIC_ACQUIRE)) arch::pause();
    return was_armed;
}

}  // namespace ktime
