#include "kernel/irq/threaded_irq.h"

#include "arch/x86_64/ioapic.h"
#include "kernel/irq/irq.h"
#include "kernel/log.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sync/guards.h"
#include "kernel/sync/wait_queue.h"
#include "kernel/time/clock.h"
#include "libk/new.h"

namespace kirq {

namespace {
// Storm detection: this many interrupts nobody claimed within the window
// means a stuck or misconfigured device; the line is disabled.
uint64_t storm_window_ns = 100000000;
uint32_t storm_threshold = 1000;
}  // namespace

// One interrupt line (GSI) and the actions sharing it.
struct IrqLine {
    uint32_t gsi = 0;
    uint8_t vector = 0;
    LineTrigger trigger;
    IrqAction* actions = nullptr;
    uint32_t mask_depth = 0;  // threads still running that need it masked
    bool disabled = false;
    uint64_t window_start_ns = 0;
    uint32_t unhandled_in_window = 0;
    ksync::SpinLock lock;  // actions list and mask depth; taken in hard IRQ
};

struct IrqAction {
    IrqLine* line = nullptr;
    IrqAction* next = nullptr;  // the line's actions (shared lines have several)
    PrimaryHandler primary = nullptr;
    ThreadHandler thread_fn = nullptr;
    uint32_t flags = 0;
    const char* name = "";
    void* context = nullptr;
    sched::Thread* thread = nullptr;
    ksync::WaitQueue wakeup;
    uint32_t pending = 0;     // set by the primary, cleared by the thread
    uint32_t masked_for = 0;  // this action's thread holds one mask of the line
    volatile bool stopping = false;
    uint64_t primary_calls = 0;
    uint64_t thread_runs = 0;
};

namespace {

constexpr uint32_t kMaxGsi = 256;

IrqLine* lines[kMaxGsi];
ksync::SpinLock lines_lock;

void mask_line(IrqLine* line) {
    if (line->mask_depth++ == 0) arch::ioapic_set_masked(line->gsi, true);
}
void unmask_line(IrqLine* line) {
    if (--line->mask_depth == 0 && !line->disabled) arch::ioapic_set_masked(line->gsi, false);
}

// Hard-IRQ context, interrupts off.
void dispatch_line(void* context) {
    auto line = static_cast<IrqLine*>(context);
    ksync::SpinLockGuard guard(line->lock);
    bool claimed = false;
    for (IrqAction* action = line->actions; action != nullptr; action = action->next) {
        ++action->primary_calls;
        IrqReturn result = action->primary != nullptr ? action->primary(action->context) : IrqReturn::WakeThread;
        if (result == IrqReturn::None) continue;
        claimed = true;
        if (result != IrqReturn::WakeThread || action->thread_fn == nullptr) continue;
        // A level-triggered line would fire again at once while the device
        // still asserts it: keep it masked until the thread has dealt with
        // the device. Same for one-shot actions on edge lines.
        if ((line->trigger.level || (action->flags & kIrqOneShot)) && action->masked_for == 0) {
            action->masked_for = 1;
            mask_line(line);
        }
        __atomic_store_n(&action->pending, 1u, __ATOMIC_RELEASE);
        action->wakeup.wake_one();
    }
    if (claimed) return;
    const uint64_t now = ktime::monotonic_ns();
    if (now - line->window_start_ns > storm_window_ns) {
        line->window_start_ns = now;
        line->unhandled_in_window = 0;
    }
    if (++line->unhandled_in_window >= storm_threshold && !line->disabled) {
        line->disabled = true;
        arch::ioapic_set_masked(line->gsi, true);
        log_error("irq: GSI %u: %u interrupts nobody handled within %lu ms; line disabled", line->gsi,
                  storm_threshold, storm_window_ns / 1000000);
    }
}

void irq_thread_main(void* context) {
    auto action = static_cast<IrqAction*>(context);
    for (;;) {
        action->wakeup.wait_until(
            [action] { return __atomic_load_n(&action->pending, __ATOMIC_ACQUIRE) != 0 || action->stopping; });
        if (action->stopping) return;
        __atomic_store_n(&action->pending, 0u, __ATOMIC_RELEASE);
        action->thread_fn(action->context);
        ++action->thread_runs;
        IrqLine* line = action->line;
        kernel::SpinLockIrqSave guard(line->lock);
        if (action->masked_for != 0) {
            action->masked_for = 0;
            unmask_line(line);
        }
    }
}

k::Result<IrqLine*> get_line(uint32_t gsi, LineTrigger trigger) {
    if (gsi >= kMaxGsi) return k::error(k::Errno::einval);
    ksync::SpinLockGuard guard(lines_lock);
    if (lines[gsi] != nullptr) return lines[gsi];
    void* memory = mm::kzalloc(sizeof(IrqLine));
    if (memory == nullptr) return k::error(k::Errno::enomem);
    auto line = new (memory) IrqLine();
    line->gsi = gsi;
    line->trigger = trigger;
    auto vector = request_irq(gsi, trigger.level, trigger.active_low, dispatch_line, line, "threaded");
    if (!vector.ok()) {
        mm::kfree(line);
        return k::error(vector.error());
    }
    line->vector = vector.value();
    lines[gsi] = line;
    return line;
}

}  // namespace

k::Result<IrqAction*> request_threaded_irq(uint32_t gsi, LineTrigger trigger, PrimaryHandler primary,
                                           ThreadHandler thread_fn, uint32_t flags, const char* name, void* context,
                                           int rt_priority) {
    IrqLine* line = TRY(get_line(gsi, trigger));
    void* memory = mm::kzalloc(sizeof(IrqAction));
    if (memory == nullptr) return k::error(k::Errno::enomem);
    auto action = new (memory) IrqAction();
    action->line = line;
    action->primary = primary;
    action->thread_fn = thread_fn;
    action->flags = flags;
    action->name = name;
    action->context = context;
    if (thread_fn != nullptr) {
        sched::ThreadOptions options{.name = name, .policy = sched::Policy::Fifo, .priority = rt_priority,
                                     .affinity = k::CpuMask::all(), .detached = false};
        auto thread = sched::thread_create(irq_thread_main, action, options);
        if (!thread.ok()) {
            action->~IrqAction();
            mm::kfree(action);
            return k::error(thread.error());
        }
        action->thread = thread.value();
    }
    bool first;
    {
        kernel::SpinLockIrqSave guard(line->lock);
        const bool shareable = line->actions == nullptr ||
                               ((flags & kIrqShared) && (line->actions->flags & kIrqShared));
        if (shareable) {
            first = line->actions == nullptr;
            action->next = line->actions;
            line->actions = action;
        } else {
            first = false;
            action->line = nullptr;
        }
    }
    if (action->line == nullptr) {
        free_threaded_irq(action);
        return k::error(k::Errno::ebusy);
    }
    if (first) enable(line->vector);
    return action;
}

void free_threaded_irq(IrqAction* action) {
    IrqLine* line = action->line;
    if (line != nullptr) {
        kernel::SpinLockIrqSave guard(line->lock);
        for (IrqAction** link = &line->actions; *link != nullptr; link = &(*link)->next) {
            if (*link == action) {
                *link = action->next;
                break;
            }
        }
        if (action->masked_for != 0) unmask_line(line);
        if (line->actions == nullptr) {
            // Nobody left: mask, and forget the storm verdict so the next
            // driver on this line starts afresh.
            arch::ioapic_set_masked(line->gsi, true);
            line->disabled = false;
            line->unhandled_in_window = 0;
            line->mask_depth = 0;
        }
    }
    if (action->thread != nullptr) {
        action->stopping = true;
        action->wakeup.wake_all();
        sched::thread_join(action->thread);
    }
    action->~IrqAction();
    mm::kfree(action);
}

k::Result<void> set_irq_thread_priority(IrqAction* action, int rt_priority) {
    if (action->thread == nullptr) return k::error(k::Errno::einval);
    return sched::set_scheduling(action->thread, sched::Policy::Fifo, rt_priority);
}

k::Result<void> set_irq_thread_affinity(IrqAction* action, const k::CpuMask& mask) {
    if (action->thread == nullptr) return k::error(k::Errno::einval);
    return sched::set_affinity(action->thread, mask);
}

void set_storm_limits(uint32_t unhandled, uint64_t window_ns) {
    storm_threshold = unhandled;
    storm_window_ns = window_ns;
}

IrqActionStats irq_action_stats(const IrqAction* action) {
    return IrqActionStats{action->primary_calls, action->thread_runs,
                          action->line != nullptr && action->line->disabled};
}

}  // namespace kirq
