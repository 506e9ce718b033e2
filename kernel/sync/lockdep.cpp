#include "kernel/sync/lockdep.h"

#include "arch/x86_64/cpu.h"
#include "kernel/cpu.h"
#include "kernel/ksyms.h"
#include "kernel/log.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sync/guards.h"
#include "kernel/sync/spinlock.h"

namespace lockdep {

namespace {

// The order graph: an edge A -> B means "B was taken while A was held",
// with the two call sites that first showed it.
struct Edge {
    const void* from;
    const void* to;
    const void* from_site;
    const void* to_site;
};
constexpr unsigned kMaxEdges = 2048;
Edge edges[kMaxEdges];
unsigned edge_count = 0;
bool table_full_reported = false;

// Pairs already reported, so each problem is said once.
constexpr unsigned kMaxReported = 128;
const void* reported[kMaxReported][2];
unsigned reported_count = 0;

ksync::SpinLock graph_lock;  // taken with interrupts off (raw: no guard, no recursion)
uint64_t reports = 0;
const char* last_kind = "";

void print_site(const char* label, const void* site) {
    k::KsymsTable::Symbol symbol;
    const uint64_t address = reinterpret_cast<uint64_t>(site);
    if (kernel::symbolize(address, symbol)) {
        kernel::kprintf("LOCKDEP:   %s at %s+0x%lx\n", label, symbol.name, symbol.offset);
    } else {
        kernel::kprintf("LOCKDEP:   %s at 0x%lx\n", label, address);
    }
}

bool already_reported(const void* a, const void* b) {
    for (unsigned i = 0; i < reported_count; ++i) {
        if (reported[i][0] == a && reported[i][1] == b) return true;
    }
    if (reported_count < kMaxReported) {
        reported[reported_count][0] = a;
        reported[reported_count][1] = b;
        ++reported_count;
    }
    return false;
}

void count_report(const char* kind) {
    __atomic_fetch_add(&reports, 1, __ATOMIC_RELAXED);
    last_kind = kind;
}

const Edge* find_edge(const void* from, const void* to) {
    for (unsigned i = 0; i < edge_count; ++i) {
        if (edges[i].from == from && edges[i].to == to) return &edges[i];
    }
    return nullptr;
}

// Is `to` reachable from `from` along recorded edges? Iterative, bounded
// depth-first search; returns the first edge of the path (for the report).
const Edge* path_start(const void* from, const void* to) {
    constexpr unsigned kMaxStack = 64;
    const void* stack[kMaxStack];
    const Edge* first_edge[kMaxStack];
    unsigned depth = 0;
    stack[depth] = from;
    first_edge[depth++] = nullptr;
    unsigned visited = 0;
    while (depth > 0 && visited < 4 * kMaxEdges) {
        --depth;
        const void* node = stack[depth];
        const Edge* first = first_edge[depth];
        for (unsigned i = 0; i < edge_count && depth < kMaxStack; ++i, ++visited) {
            if (edges[i].from != node) continue;
            const Edge* start = first != nullptr ? first : &edges[i];
            if (edges[i].to == to) return start;
            stack[depth] = edges[i].to;
            first_edge[depth++] = start;
        }
    }
    return nullptr;
}

sched::Thread* me() { return sched::current_thread(); }

}  // namespace

void acquire_intent_impl(const void* lock, const char* kind, Mode mode, const void* site, bool writer_queued) {
    might_sleep_impl(kind, site);
    sched::Thread* self = me();
    if (self == nullptr) return;
    for (unsigned i = 0; i < self->held_lock_count; ++i) {
        const sched::Thread::HeldLock& held = self->held_locks[i];
        if (held.lock != lock) continue;
        if (mode == Mode::Shared && held.mode == static_cast<uint8_t>(Mode::Shared)) {
            if (already_reported(lock, lock)) return;
            count_report("recursive read");
            kernel::kprintf("LOCKDEP: recursive read of %s %p%s\n", kind, lock,
                            writer_queued ? ": a writer is queued, this deadlocks now"
                                          : ": deadlocks whenever a writer queues in between");
            print_site("first taken", held.site);
            print_site("taken again", site);
        }
        return;  // recursion on exclusive locks is the lock's own error (EDEADLK)
    }
    kernel::IrqSaveGuard irq;
    ksync::SpinLockGuard guard(graph_lock);
    for (unsigned i = 0; i < self->held_lock_count; ++i) {
        const sched::Thread::HeldLock& held = self->held_locks[i];
        // Taking `lock` after `held`: an inversion if `held` was ever taken
        // after `lock` (directly or through a chain).
        const Edge* reverse = path_start(lock, held.lock);
        if (reverse == nullptr || already_reported(lock, held.lock)) continue;
        count_report("order inversion");
        kernel::kprintf("LOCKDEP: lock order inversion: %s %p taken while holding %p, but the opposite order was seen\n",
                        kind, lock, held.lock);
        print_site("earlier: took the first lock", reverse->from_site);
        print_site("earlier: then the second", reverse->to_site);
        print_site("now: holding", held.site);
        print_site("now: taking", site);
    }
}

void acquired_impl(const void* lock, const char*, Mode mode, const void* site) {
    sched::Thread* self = me();
    if (self == nullptr) return;
    {
        kernel::IrqSaveGuard irq;
        ksync::SpinLockGuard guard(graph_lock);
        for (unsigned i = 0; i < self->held_lock_count; ++i) {
            const sched::Thread::HeldLock& held = self->held_locks[i];
            if (held.lock == lock || find_edge(held.lock, lock) != nullptr) continue;
            if (edge_count == kMaxEdges) {
                if (!table_full_reported) {
                    table_full_reported = true;
                    kernel::kprintf("LOCKDEP: order table full (%u edges): no longer learning\n", kMaxEdges);
                }
                break;
            }
            edges[edge_count++] = Edge{held.lock, lock, held.site, site};
        }
    }
    if (self->held_lock_count < sched::Thread::kMaxHeldLocks) {
        self->held_locks[self->held_lock_count++] = sched::Thread::HeldLock{lock, site, static_cast<uint8_t>(mode)};
    }
}

void released_impl(const void* lock) {
    sched::Thread* self = me();
    if (self == nullptr) return;
    // Usually the innermost; any order is allowed.
    for (unsigned i = self->held_lock_count; i-- > 0;) {
        if (self->held_locks[i].lock != lock) continue;
        for (unsigned j = i; j + 1 < self->held_lock_count; ++j) self->held_locks[j] = self->held_locks[j + 1];
        --self->held_lock_count;
        return;
    }
}

void might_sleep_impl(const char* what, const void* site) {
    sched::Thread* self = me();
    if (self == nullptr) return;
    const bool irqs_off = !arch::interrupts_enabled();
    const bool preempt_off = self->preempt_count != 0;
    uint32_t spinlocks;
    {
        kernel::IrqSaveGuard irq;
        spinlocks = kernel::this_cpu()->irqsave_spinlocks_held;
    }
    if (!irqs_off && !preempt_off && spinlocks == 0) return;
    if (already_reported(site, reinterpret_cast<const void*>(1))) return;
    count_report("sleep in atomic");
    kernel::kprintf("LOCKDEP: %s may sleep in atomic context:%s%s%s\n", what, irqs_off ? " interrupts off" : "",
                    preempt_off ? " preemption off" : "", spinlocks != 0 ? " spinlock held" : "");
    print_site("called", site);
}

void spinlock_guard_entered_impl() {
    ++kernel::this_cpu()->irqsave_spinlocks_held;  // interrupts are off: this CPU stays this CPU
}

void spinlock_guard_left_impl() {
    --kernel::this_cpu()->irqsave_spinlocks_held;
}

void context_switch_check_impl(const void* site) {
    if (kernel::this_cpu()->irqsave_spinlocks_held == 0) return;
    if (already_reported(site, reinterpret_cast<const void*>(2))) return;
    count_report("spinlock across switch");
    kernel::kprintf("LOCKDEP: context switch with %u interrupt-safe spinlock(s) held\n",
                    kernel::this_cpu()->irqsave_spinlocks_held);
    print_site("schedule() called", site);
}

uint64_t report_count() { return __atomic_load_n(&reports, __ATOMIC_RELAXED); }
const char* last_report_kind() { return last_kind; }

}  // namespace lockdep
