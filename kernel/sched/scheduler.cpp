#include "kernel/sched/scheduler.h"

#include "arch/x86_64/context.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/interrupt_frame.h"
#include "arch/x86_64/lapic.h"
#include "kernel/cpu.h"
#include "kernel/irq/irq.h"
#include "kernel/log.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/panic.h"
#include "kernel/proc/user_state.h"
#include "kernel/sync/guards.h"
#include "kernel/sync/lockdep.h"
#include "kernel/sync/wait_queue.h"
#include "kernel/time/clock.h"
#include "libk/container_of.h"
#include "libk/new.h"
#include "libk/verify.h"

namespace sched {

namespace {

using kernel::Cpu;

Thread boot_idle_thread;
uint64_t next_thread_id = 1;
uint64_t threads_alive = 0;
uint64_t threads_created = 0;

// Exited threads: joiners wait on `exited`; detached ones go to the reaper.
ksync::WaitQueue exited;
ksync::SpinLock reap_lock;
k::List<Thread, &Thread::reap_node> reap_list;
ksync::WaitQueue reaper_wakeup;

Thread* thread_of(SchedEntity* entity) {
    return entity == nullptr ? nullptr : k::container_of<Thread, SchedEntity, &Thread::entity>(entity);
}

// Locks the run queue that holds `thread`. Its `cpu` may change until we
// hold that CPU's lock, so check again after locking. Interrupts must be off.
Cpu* lock_run_queue_of(Thread* thread) {
    for (;;) {
        unsigned index = __atomic_load_n(&thread->cpu, __ATOMIC_ACQUIRE);
        Cpu* cpu = kernel::cpu_by_index(index);
        cpu->run_queue_lock.lock();
        if (__atomic_load_n(&thread->cpu, __ATOMIC_ACQUIRE) == index) return cpu;
        cpu->run_queue_lock.unlock();
    }
}

// Two run queues, lower CPU index first: the one lock order that cannot
// deadlock when two CPUs pull from each other.
void lock_two(Cpu* a, Cpu* b) {
    if (a->arch.index < b->arch.index) {
        a->run_queue_lock.lock();
        b->run_queue_lock.lock();
    } else {
        b->run_queue_lock.lock();
        a->run_queue_lock.lock();
    }
}

bool any_cpu_online_in(const k::CpuMask& mask) {
    for (unsigned i = 0; Cpu* cpu = kernel::cpu_by_index(i); ++i) {
        if (cpu->online && mask.has(i)) return true;
    }
    return false;
}

bool cpu_is_idle(Cpu* cpu) { return cpu->current == cpu->idle && cpu->run_queue.nr_running() == 0; }

// Where a woken thread should run. Heuristics on unlocked reads of other
// CPUs' state: a wrong guess costs a migration later, never correctness.
Cpu* select_cpu(Thread* thread) {
    Cpu* previous = kernel::cpu_by_index(thread->cpu);
    const bool previous_allowed = previous->online && thread->affinity.has(previous->arch.index);
    if (previous_allowed && cpu_is_idle(previous)) return previous;
    Cpu* best = nullptr;
    int best_current_prio = -1;
    uint64_t best_load = ~uint64_t{0};
    for (unsigned i = 0; Cpu* cpu = kernel::cpu_by_index(i); ++i) {
        if (!cpu->online || !thread->affinity.has(i)) continue;
        if (cpu_is_idle(cpu)) return cpu;
        if (thread->entity.is_real_time()) {
            // Real time: where it runs soonest, i.e. where the thread now
            // running matters least (the highest prio number).
            Thread* running = cpu->current;
            int prio = running == nullptr || running == cpu->idle ? 255 : running->entity.prio;
            if (prio > best_current_prio) {
                best_current_prio = prio;
                best = cpu;
            }
        } else if (cpu->run_queue.load() < best_load) {
            best_load = cpu->run_queue.load();
            best = cpu;
        }
    }
    if (!thread->entity.is_real_time() && previous_allowed && best != nullptr &&
        previous->run_queue.load() <= best_load + kNiceZeroWeight) {
        return previous;  // nearly as good, and its caches are warm
    }
    return best != nullptr ? best : previous;
}

// Makes `cpu` reschedule soon. Remote: a reschedule IPI. Local: the caller
// usually has interrupts off (a lock), and nothing would look at
// need_resched before the next interrupt, which a tickless CPU running a
// FIFO thread may never take: a self-IPI fires as soon as interrupts are
// back on, and the interrupt-exit hook then preempts.
void request_reschedule(Cpu* cpu) {
    cpu->need_resched = true;
    arch::lapic_send_ipi(cpu->arch.apic_id, arch::kVectorReschedule);
}

// Enqueues a woken (or new) thread on `cpu` (locked) and preempts that
// CPU's current thread if the newcomer should run first.
void enqueue_and_check_preempt(Cpu* cpu, Thread* thread, EnqueueFlags flags) {
    thread->state = ThreadState::Ready;
    __atomic_store_n(&thread->cpu, cpu->arch.index, __ATOMIC_RELEASE);
    cpu->run_queue.enqueue(thread->entity, flags);
    Thread* running = cpu->current;
    const bool preempt = running == cpu->idle || cpu->run_queue.should_preempt(&running->entity, thread->entity);
    if (!preempt) return;
    request_reschedule(cpu);
}

// A CPU with normal threads waiting asks an idle CPU to come and take one
// (idle CPUs sleep in hlt and pull work only when something wakes them).
// Called at the end of a time slice, i.e. only while this CPU is busy.
void kick_an_idle_cpu(Cpu* busy) {
    if (busy->run_queue.normal_count() < 2) return;
    for (unsigned i = 0; Cpu* cpu = kernel::cpu_by_index(i); ++i) {
        if (cpu != busy && cpu->online && cpu_is_idle(cpu)) {
            arch::lapic_send_ipi(cpu->arch.apic_id, arch::kVectorReschedule);
            return;
        }
    }
}

void slice_expired(void* context) {
    auto cpu = static_cast<Cpu*>(context);
    cpu->need_resched = true;
    kick_an_idle_cpu(cpu);
}

// Runs on the CPU that just switched, in the thread that now runs (at the
// end of schedule(), or first thing in a new thread), with that CPU's run
// queue locked and interrupts off.
void finish_switch() {
    Cpu* cpu = kernel::this_cpu();
    Thread* previous = cpu->switched_from;
    cpu->switched_from = nullptr;
    if (previous == nullptr) {
        cpu->run_queue_lock.unlock();
        return;
    }
    // Read what we need of `previous` before publishing on_cpu = false:
    // from then on a joiner may free it.
    const bool migrate = previous->migrate_pending;
    const bool dead = previous->state == ThreadState::Dead;
    const bool detached = previous->detached;
    previous->migrate_pending = false;
    __atomic_store_n(&previous->on_cpu, false, __ATOMIC_RELEASE);
    cpu->run_queue_lock.unlock();
    if (migrate) {
        // Its affinity no longer allows this CPU: wake it up elsewhere.
        // (Not freed: it is not dead, and only dead threads are freed.)
        wake_up(previous);
    } else if (dead) {
        if (detached) {
            {
                ksync::SpinLockGuard guard(reap_lock);
                reap_list.push_back(*previous);
            }
            reaper_wakeup.wake_one();
        } else {
            exited.wake_all();
        }
    }
}

void free_thread(Thread* thread) {
    proc::release_user_state(thread);
    mm::free_kernel_stack(thread->stack);
    thread->~Thread();
    mm::kfree(thread);
    __atomic_fetch_sub(&threads_alive, 1, __ATOMIC_RELAXED);
}

void reaper_main(void*) {
    for (;;) {
        reaper_wakeup.wait_until([] {
            ksync::SpinLockGuard guard(reap_lock);
            return !reap_list.empty();
        });
        for (;;) {
            Thread* dead;
            {
                kernel::IrqSaveGuard irq;
                ksync::SpinLockGuard guard(reap_lock);
                dead = reap_list.pop_front();
            }
            if (dead == nullptr) break;
            while (__atomic_load_n(&dead->on_cpu, __ATOMIC_ACQUIRE)) arch::pause();
            free_thread(dead);
        }
    }
}

void wake_timer_fired(void* context) {
    auto thread = static_cast<Thread*>(context);
    thread->timed_out = true;
    wake_up(thread);
}

void init_thread_common(Thread* thread) {
    thread->wake_timer.callback = wake_timer_fired;
    thread->wake_timer.context = thread;
    thread->id = __atomic_fetch_add(&next_thread_id, 1, __ATOMIC_RELAXED);
}

void interrupt_exit_hook(arch::InterruptFrame& frame) {
    preempt_on_interrupt_exit((frame.rflags & (1u << 9)) != 0);
}

void reschedule_ipi(void*) { kernel::this_cpu()->need_resched = true; }

// Idle CPUs take a normal thread from the busiest CPU that can spare one.
bool pull_work(Cpu* self) {
    Cpu* busiest = nullptr;
    size_t most = 1;
    for (unsigned i = 0; Cpu* cpu = kernel::cpu_by_index(i); ++i) {
        if (cpu == self || !cpu->online) continue;
        if (cpu->run_queue.normal_count() > most) {
            most = cpu->run_queue.normal_count();
            busiest = cpu;
        }
    }
    if (busiest == nullptr) return false;
    const unsigned me = self->arch.index;
    lock_two(self, busiest);
    SchedEntity* entity = busiest->run_queue.pick_migratable([me](const SchedEntity& candidate) {
        const Thread* t = k::container_of<Thread, SchedEntity, &Thread::entity>(const_cast<SchedEntity*>(&candidate));
        return t->affinity.has(me) && !t->on_cpu;
    });
    Thread* thread = thread_of(entity);
    if (thread != nullptr) {
        busiest->run_queue.dequeue(*entity, DequeueFlags::Migrating);
        thread->state = ThreadState::Ready;
        __atomic_store_n(&thread->cpu, me, __ATOMIC_RELEASE);
        self->run_queue.enqueue(*entity, EnqueueFlags::Migrated);
        self->need_resched = true;
    }
    busiest->run_queue_lock.unlock();
    self->run_queue_lock.unlock();
    return thread != nullptr;
}

}  // namespace

// Defined in kernel/sync/pi_mutex.cpp: tells priority inheritance that a
// thread's base priority changed (it recomputes and propagates the boost).
void pi_base_prio_changed(Thread* thread);

// The first thing a new thread runs (from arch_thread_trampoline).
extern "C" [[noreturn]] void thread_start(void (*entry)(void*), void* argument) {
    finish_switch();
    arch::enable_interrupts();
    entry(argument);
    thread_exit();
}

void scheduler_init_this_cpu() {
    Cpu* cpu = kernel::this_cpu();
    Thread* idle = cpu == &kernel::boot_cpu() ? &boot_idle_thread : new (mm::kzalloc(sizeof(Thread))) Thread();
    VERIFY(idle != nullptr);
    init_thread_common(idle);
    idle->name = "idle";
    idle->state = ThreadState::Running;
    idle->on_cpu = true;
    idle->cpu = cpu->arch.index;
    idle->affinity = k::CpuMask::only(cpu->arch.index);
    (void)configure_normal(idle->entity, kMaxNice, /*idle=*/true);
    cpu->slice_timer.callback = slice_expired;
    cpu->slice_timer.context = cpu;
    cpu->idle = idle;
    cpu->current = idle;
}

void scheduler_init() {
    scheduler_init_this_cpu();
    arch::set_interrupt_exit_hook(interrupt_exit_hook);
    kirq::set_ipi_handler(arch::kVectorReschedule, reschedule_ipi);
    ThreadOptions reaper{.name = "reaper", .policy = Policy::Normal, .priority = 0,
                         .affinity = k::CpuMask::all(), .detached = false};
    if (!thread_create(reaper_main, nullptr, reaper).ok()) kernel::panic("sched: cannot start the reaper thread");
}

// Two loads (GS base, then the field): with interrupts on, a preemption and
// migration between them would return the other CPU's thread.
Thread* current_thread() {
    kernel::IrqSaveGuard irq;
    return kernel::this_cpu()->current;
}

void schedule() {
    lockdep::context_switch_check(__builtin_return_address(0));
    kernel::IrqSaveGuard irq;
    Cpu* cpu = kernel::this_cpu();
    Thread* previous = cpu->current;
    VERIFY(previous != nullptr && previous->preempt_count == 0);
    cpu->run_queue_lock.lock();
    cpu->need_resched = false;
    const uint64_t now = ktime::monotonic_ns();
    RunQueue& rq = cpu->run_queue;

    if (previous != cpu->idle) {
        const uint64_t ran = now - previous->started_running_ns;
        previous->runtime_ns += ran;
        const bool slice_used_up = rq.account(previous->entity, ran);
        if (previous->state == ThreadState::Running && !previous->affinity.has(cpu->arch.index)) {
            rq.dequeue(previous->entity);
            previous->state = ThreadState::Blocked;
            previous->migrate_pending = true;  // finish_switch() wakes it on an allowed CPU
        } else if (previous->state == ThreadState::Running) {
            // Preempted by a better thread: back to the head of its level.
            // Its round-robin slice ran out, or it yielded: to the tail.
            const bool head = previous->preempted && !slice_used_up;
            rq.put_prev(previous->entity, head ? EnqueueFlags::Head : EnqueueFlags::None);
            previous->state = ThreadState::Ready;
        } else {
            rq.dequeue(previous->entity);  // blocked, sleeping or dead
        }
    }

    SchedEntity* entity = rq.pick_next();
    rq.set_running(entity);
    Thread* next = entity != nullptr ? thread_of(entity) : cpu->idle;
    next->state = ThreadState::Running;
    next->started_running_ns = now;
    if (entity != nullptr && entity->policy != Policy::Fifo) {
        // Round robin resumes what is left of its slice (a preempted thread
        // keeps its place in line, and its time).
        uint64_t slice = entity->policy == Policy::RoundRobin && entity->slice_remaining_ns != 0
                             ? entity->slice_remaining_ns
                             : rq.time_slice_ns(*entity);
        ktime::timer_arm(cpu->slice_timer, now + slice);
    } else {
        ktime::timer_cancel_sync(cpu->slice_timer);
    }

    if (next == previous) {
        cpu->run_queue_lock.unlock();
        return;
    }
    next->on_cpu = true;
    ++next->switches;
    cpu->current = next;
    cpu->switched_from = previous;
    proc::switch_user_state(previous, next);
    arch_context_switch(&previous->saved_rsp, next->saved_rsp);
    // Back in `previous`, perhaps much later and on another CPU.
    finish_switch();
}

void yield() {
    {
        kernel::IrqSaveGuard irq;
        kernel::this_cpu()->need_resched = true;
    }
    schedule();
}

void preempt_on_interrupt_exit(bool interrupted_with_interrupts_enabled) {
    Cpu* cpu = kernel::this_cpu();
    Thread* current = cpu->current;
    if (current == nullptr || !cpu->need_resched || !interrupted_with_interrupts_enabled) return;
    if (current->preempt_count != 0) return;
    current->preempted = true;
    schedule();
    current->preempted = false;
}

bool wake_up(Thread* thread) {
    kernel::IrqSaveGuard irq;
    for (;;) {
        Cpu* cpu = lock_run_queue_of(thread);
        const ThreadState state = load_state(*thread);
        if (state != ThreadState::Blocked && state != ThreadState::Sleeping) {
            cpu->run_queue_lock.unlock();
            return false;
        }
        if (__atomic_load_n(&thread->on_cpu, __ATOMIC_ACQUIRE)) {
            // Marked itself waiting but has not switched away yet (it cannot
            // have: that needs this lock). It simply keeps running.
            thread->state = ThreadState::Running;
            cpu->run_queue_lock.unlock();
            return true;
        }
        Cpu* target = select_cpu(thread);
        if (target == cpu) {
            enqueue_and_check_preempt(cpu, thread, EnqueueFlags::Wakeup);
            cpu->run_queue_lock.unlock();
            return true;
        }
        // Moving CPUs: hold both queues, so that nobody sees the thread
        // in between (set_scheduling, set_affinity and other wakers all
        // lock the queue of thread->cpu), then check nothing changed.
        cpu->run_queue_lock.unlock();
        lock_two(cpu, target);
        const bool unchanged = __atomic_load_n(&thread->cpu, __ATOMIC_ACQUIRE) == cpu->arch.index &&
                               load_state(*thread) == state && !thread->on_cpu;
        if (unchanged) {
            // A sleeping thread's vruntime is on its old queue's scale:
            // make it relative there, absolute again on the target.
            thread->entity.vruntime -= cpu->run_queue.min_vruntime();
            enqueue_and_check_preempt(target, thread, EnqueueFlags::Wakeup | EnqueueFlags::Migrated);
        }
        cpu->run_queue_lock.unlock();
        target->run_queue_lock.unlock();
        if (unchanged) return true;
    }
}

k::Result<Thread*> thread_create(void (*entry)(void*), void* argument, const ThreadOptions& options) {
    if (!any_cpu_online_in(options.affinity)) return k::error(k::Errno::einval);
    void* memory = mm::kzalloc(sizeof(Thread));
    if (memory == nullptr) return k::error(k::Errno::enomem);
    Thread* thread = new (memory) Thread();
    k::Result<void> configured = options.policy == Policy::Normal
                                     ? configure_normal(thread->entity, options.priority)
                                     : configure_real_time(thread->entity, options.policy, options.priority);
    auto stack = mm::allocate_kernel_stack();
    if (!configured.ok() || !stack.ok()) {
        if (stack.ok()) mm::free_kernel_stack(stack.value());
        thread->~Thread();
        mm::kfree(thread);
        return k::error(!configured.ok() ? configured.error() : stack.error());
    }
    init_thread_common(thread);
    thread->pi_task.base_prio = thread->entity.base_prio;
    thread->pi_task.prio = thread->entity.prio;
    thread->name = options.name;
    thread->affinity = options.affinity;
    thread->detached = options.detached;
    thread->stack = stack.value();
    thread->address_space = options.address_space;
    thread->user = options.user;
    thread->saved_rsp = arch::prepare_thread_stack(thread->stack.top - options.reserved_stack_top, entry, argument);
    __atomic_fetch_add(&threads_alive, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&threads_created, 1, __ATOMIC_RELAXED);

    kernel::IrqSaveGuard irq;
    thread->cpu = kernel::this_cpu()->arch.index;
    thread->state = ThreadState::Blocked;  // not yet anywhere: select_cpu picks
    Cpu* target = select_cpu(thread);
    target->run_queue_lock.lock();
    enqueue_and_check_preempt(target, thread, EnqueueFlags::Initial);
    target->run_queue_lock.unlock();
    return thread;
}

void thread_exit() {
    arch::disable_interrupts();
    Thread* self = current_thread();
    VERIFY(self != kernel::this_cpu()->idle);
    store_state(*self, ThreadState::Dead);
    schedule();
    kernel::panic("a dead thread ran again");
}

void thread_join(Thread* thread) {
    VERIFY(!thread->detached);
    exited.wait_until([thread] {
        return load_state(*thread) == ThreadState::Dead &&
               !__atomic_load_n(&thread->on_cpu, __ATOMIC_ACQUIRE);
    });
    free_thread(thread);
}

void sleep_until(uint64_t deadline_ns) {
    lockdep::might_sleep("sleep", __builtin_return_address(0));
    Thread* self = current_thread();
    while (ktime::monotonic_ns() < deadline_ns) {
        kernel::IrqSaveGuard irq;
        store_state(*self, ThreadState::Sleeping);
        ktime::timer_arm(self->wake_timer, deadline_ns);
        schedule();
        ktime::timer_cancel_sync(self->wake_timer);
    }
}

void block_and_relock(ksync::SpinLock& held, uint64_t deadline_ns) {
    Thread* self = current_thread();
    store_state(*self, deadline_ns == kForever ? ThreadState::Blocked : ThreadState::Sleeping);
    if (deadline_ns != kForever) ktime::timer_arm(self->wake_timer, deadline_ns);
    held.unlock();
    schedule();
    if (deadline_ns != kForever) ktime::timer_cancel_sync(self->wake_timer);
    held.lock();
}

void sleep_ns(uint64_t ns) { sleep_until(ktime::monotonic_ns() + ns); }

k::Result<void> set_scheduling(Thread* thread, Policy policy, int priority) {
    kernel::IrqSaveGuard irq;
    Cpu* cpu = lock_run_queue_of(thread);
    RunQueue& rq = cpu->run_queue;
    const bool queued = thread->entity.on_queue;
    const bool running = rq.current() == &thread->entity;
    if (queued) rq.dequeue(thread->entity);
    k::Result<void> result = policy == Policy::Normal ? configure_normal(thread->entity, priority)
                                                      : configure_real_time(thread->entity, policy, priority);
    if (queued) {
        rq.enqueue(thread->entity);
        if (running) rq.set_running(&thread->entity);
        request_reschedule(cpu);
    }
    cpu->run_queue_lock.unlock();
    if (result.ok()) pi_base_prio_changed(thread);
    return result;
}

void set_effective_prio(Thread* thread, int prio) {
    kernel::IrqSaveGuard irq;
    Cpu* cpu = lock_run_queue_of(thread);
    const bool boosted = prio < thread->entity.prio;
    cpu->run_queue.change_effective_prio(thread->entity, prio);
    if (thread->entity.on_queue) {
        Thread* running = cpu->current;
        if (running == thread) {
            if (!boosted) request_reschedule(cpu);  // someone may now outrank it
        } else if (running == cpu->idle || cpu->run_queue.should_preempt(&running->entity, thread->entity)) {
            request_reschedule(cpu);
        }
    }
    cpu->run_queue_lock.unlock();
}

k::Result<void> set_affinity(Thread* thread, const k::CpuMask& mask) {
    if (!any_cpu_online_in(mask)) return k::error(k::Errno::einval);
    kernel::IrqSaveGuard irq;
    Cpu* cpu = lock_run_queue_of(thread);
    thread->affinity = mask;
    const bool misplaced = !mask.has(cpu->arch.index);
    if (misplaced && thread->entity.on_queue) {
        // Running there or waiting there: the next schedule() on that CPU
        // moves it (schedule() checks the affinity of the thread it stops).
        if (cpu->run_queue.current() != &thread->entity) {
            cpu->run_queue.dequeue(thread->entity);
            thread->state = ThreadState::Blocked;
            cpu->run_queue_lock.unlock();
            wake_up(thread);
            return {};
        }
        request_reschedule(cpu);
    }
    cpu->run_queue_lock.unlock();
    return {};
}

[[noreturn]] void idle_loop() {
    Cpu* cpu = kernel::this_cpu();
    for (;;) {
        arch::disable_interrupts();
        if (cpu->need_resched || cpu->run_queue.nr_running() > 0 || pull_work(cpu)) {
            schedule();
            continue;
        }
        arch::enable_interrupts_and_halt();
    }
}

SchedulerStats scheduler_stats() {
    return SchedulerStats{__atomic_load_n(&threads_alive, __ATOMIC_RELAXED),
                          __atomic_load_n(&threads_created, __ATOMIC_RELAXED)};
}

}  // namespace sched

namespace kernel {

void preempt_disable() {
    sched::Thread* current = sched::current_thread();
    if (current != nullptr) ++current->preempt_count;
}

void preempt_enable() {
    sched::Thread* current = sched::current_thread();
    if (current == nullptr) return;
    VERIFY(current->preempt_count > 0);
    if (--current->preempt_count != 0) return;
    IrqSaveGuard irq;
    Cpu* cpu = this_cpu();
    if (!cpu->need_resched) return;
    if (irq.interrupts_were_enabled()) {
        arch::enable_interrupts();
        sched::schedule();
    } else {
        // Cannot switch with interrupts off: have the self-IPI do it when
        // they come back on.
        arch::lapic_send_ipi(cpu->arch.apic_id, arch::kVectorReschedule);
    }
}

}  // namespace kernel
