#include "kernel/sync/pi_core.h"

#include "libk/verify.h"

namespace ksync::pi {

namespace {

// Arrival numbers for waiters. Protected by the PI lock like everything else
// here; 64 bits do not wrap in the lifetime of any machine.
uint64_t next_arrival = 0;

// A lock's entry in its owner's pi_waiters is its top waiter, and the entry's
// key is that waiter's priority. Every change to a lock's queue is therefore
// bracketed by these two: take the entry out, change the queue (or a key),
// put whatever is top now back in. A key never changes while its node is in
// a tree, which is what keeps both trees ordered.
void detach_top_from_owner(Lock& lock) {
    if (Waiter* top = lock.waiters.first()) lock.owner->pi_waiters.erase(*top);
}

void attach_top_to_owner(Lock& lock) {
    if (Waiter* top = lock.waiters.first()) lock.owner->pi_waiters.insert(*top);
}

// `start`'s pi_waiters or base priority may have changed: bring its effective
// priority up to date and follow the consequences up the chain. Each step:
// the task's prio changed, so if it is blocked its waiter moves within that
// lock's queue, the lock's entry in the next owner is refreshed, and the next
// owner is examined. The walk ends at the first task whose priority comes out
// unchanged (then nothing above it can change either: the only input it
// passes on is its priority), at a task that is not blocked, or after
// kMaxChainDepth tasks (see there). No cycle check here: block_on() keeps the
// graph acyclic, and the bound ends the walk even if a cycle longer than the
// bound slipped through.
void adjust_chain(Task& start, PrioChangeSink& sink) {
    Task* task = &start;
    for (int depth = 0; depth < kMaxChainDepth; ++depth) {
        const int old_prio = task->prio;
        const int new_prio = effective_prio(*task);
        if (new_prio == old_prio) return;
        task->prio = new_prio;
        sink.prio_changed(*task, old_prio, new_prio);

        Waiter* waiter = task->blocked_on;
        if (!waiter) return;
        Lock& lock = *waiter->lock;
        detach_top_from_owner(lock);
        lock.waiters.erase(*waiter);
        waiter->prio = new_prio;  // seq stays: it keeps its place among equals
        lock.waiters.insert(*waiter);
        attach_top_to_owner(lock);
        task = lock.owner;
    }
}

bool tree_contains(const PiWaiters& tree, const Waiter* wanted) {
    for (const Waiter& entry : tree) {
        if (&entry == wanted) return true;
    }
    return false;
}

}  // namespace

void acquire_uncontended(Lock& lock, Task& task) {
    VERIFY(lock.owner == nullptr && lock.waiters.empty());
    VERIFY(task.blocked_on == nullptr);  // a sleeping task takes no locks
    lock.owner = &task;
}

k::Result<void> block_on(Lock& lock, Waiter& waiter, Task& task, PrioChangeSink& sink) {
    // Contended by definition: a free lock is taken with acquire_uncontended().
    VERIFY(lock.owner != nullptr);
    VERIFY(task.blocked_on == nullptr);

    // Would the wait ever end? Follow owner -> lock it waits for -> owner ...
    // The graph is acyclic before this call, so the walk either ends at a
    // running owner or reaches `task` (this wait would close a cycle). The
    // recursive case is the cycle of length one.
    const Task* owner = lock.owner;
    for (int depth = 0; depth < kMaxChainDepth; ++depth) {
        if (owner == &task) return k::error(k::Errno::edeadlk);
        if (!owner->blocked_on) break;
        owner = owner->blocked_on->lock->owner;
    }

    waiter.task = &task;
    waiter.lock = &lock;
    waiter.prio = task.prio;
    waiter.seq = next_arrival++;
    task.blocked_on = &waiter;

    detach_top_from_owner(lock);
    lock.waiters.insert(waiter);
    attach_top_to_owner(lock);
    adjust_chain(*lock.owner, sink);
    return {};
}

void unblock(Lock& lock, Waiter& waiter, PrioChangeSink& sink) {
    VERIFY(waiter.lock == &lock && waiter.task && waiter.task->blocked_on == &waiter);

    detach_top_from_owner(lock);
    lock.waiters.erase(waiter);
    attach_top_to_owner(lock);
    waiter.task->blocked_on = nullptr;
    // If the waiter was not the top, the owner's entry is the same waiter
    // with the same key as before, and the walk stops at once.
    adjust_chain(*lock.owner, sink);
}

Task* release(Lock& lock, PrioChangeSink& sink) {
    VERIFY(lock.owner != nullptr);
    Task& old_owner = *lock.owner;
    VERIFY(old_owner.blocked_on == nullptr);  // only a running task unlocks

    detach_top_from_owner(lock);
    Waiter* top = lock.waiters.first();
    if (!top) {
        lock.owner = nullptr;
        return nullptr;  // nobody lent anything through this lock: no change
    }

    lock.waiters.erase(*top);
    Task& new_owner = *top->task;
    new_owner.blocked_on = nullptr;
    lock.owner = &new_owner;
    attach_top_to_owner(lock);

    adjust_chain(old_owner, sink);
    // Neither task is blocked, so each walk is one step. The second one is
    // normally a no-op (see the header); it keeps release() correct even for
    // a task left stale by a truncated chain.
    adjust_chain(new_owner, sink);
    return &new_owner;
}

void set_base_prio(Task& task, int base_prio, PrioChangeSink& sink) {
    VERIFY(base_prio >= 0 && base_prio < sched::kPriorityLevels);
    task.base_prio = base_prio;
    adjust_chain(task, sink);
}

bool check_invariants(const Lock& lock) {
    if (!lock.waiters.check_invariants()) return false;
    if (lock.waiters.empty()) return true;
    if (!lock.owner) return false;
    const Waiter* top = lock.waiters.first();
    for (const Waiter& waiter : lock.waiters) {
        if (waiter.lock != &lock || !waiter.task) return false;
        if (waiter.task->blocked_on != &waiter) return false;
        if (waiter.prio != waiter.task->prio) return false;
        if (waiter.task == lock.owner) return false;
        // Only the top waiter is anybody's pi_waiters entry.
        if (PiWaiters::is_linked(waiter) != (&waiter == top)) return false;
    }
    return tree_contains(lock.owner->pi_waiters, top);
}

bool check_invariants(const Task& task) {
    if (!task.pi_waiters.check_invariants()) return false;
    if (task.prio != effective_prio(task)) return false;
    for (const Waiter& entry : task.pi_waiters) {
        if (!entry.lock || entry.lock->owner != &task) return false;
        if (entry.lock->waiters.first() != &entry) return false;
    }
    if (const Waiter* waiter = task.blocked_on) {
        if (waiter->task != &task || !waiter->lock) return false;
        if (!LockWaiters::is_linked(*waiter)) return false;
        if (waiter->lock->owner == &task || waiter->lock->owner == nullptr) return false;
        if (waiter->prio != task.prio) return false;
    }
    return true;
}

}  // namespace ksync::pi
