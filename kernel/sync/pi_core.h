#pragma once
// Priority inheritance: the bookkeeping behind the kernel's PI mutexes (and
// PI futexes), rt-mutex style. No blocking here: the kernel puts threads to
// sleep and wakes them; this file only decides who owns a lock, who waits in
// which order, and what every task's effective priority must be.
//
// The problem (priority inversion)
// --------------------------------
// A low-priority task L holds a lock; a high-priority task H blocks on it;
// a medium-priority task M, which needs no lock at all, preempts L. Now H
// waits for M although H is the more important one, for as long as M likes
// (the Mars Pathfinder reset of 1997 was exactly this). The cure: while H
// waits for L's lock, L runs at H's priority, so M cannot get in between.
//
// The rules
// ---------
// * Each task has a base priority (what it asked for: sched_setscheduler,
//   nice) and an effective one. Linux's internal numbering: 0..139, a
//   SMALLER number is a HIGHER priority (kernel/sched/sched_entity.h), so
//   "the better of two priorities" is the minimum.
// * A lock's waiters are sorted by (priority, arrival): the best priority
//   first, equal priorities first come, first served. A waiter keeps its
//   arrival number when its priority changes, so a task that was boosted and
//   un-boosted goes back to its old place among its peers.
// * A task's pi_waiters tree holds ONE entry per lock it owns that has
//   waiters: that lock's top waiter. Then
//       effective = min(base, best entry of pi_waiters)
//   is one comparison with a cached minimum, however many locks and waiters.
// * Boosting is transitive. If the boosted owner is itself blocked on a
//   second lock, its waiter there must move up (its key is its priority),
//   which may make it that lock's top waiter, which boosts the second owner,
//   and so on: A waits for B, B for C, C for D, so D runs at A's priority.
//   Every operation that changes a priority walks this chain until a task's
//   effective priority stops changing.
// * Release hands the lock to the top waiter directly (no stealing), see
//   release().
//
// Invariants after every call (check_invariants() checks them):
//   - a waiter's prio equals its task's effective prio, and the waiter sits
//     in exactly the tree of the lock it is blocked on;
//   - a lock with waiters has an owner, and exactly its top waiter is in the
//     owner's pi_waiters;
//   - every task's prio equals effective_prio() (see kMaxChainDepth for the
//     one exception);
//   - the waits-for graph (task -> lock it waits for -> that lock's owner)
//     has no cycle: block_on() refuses to close one.
//
// Locking: none inside. The kernel serialises EVERY call with one global
// spinlock, the PI lock, taken with interrupts off. A chain crosses locks,
// owners and waiters anywhere in the system, and one lock makes it trivially
// stable while it is walked. Linux instead takes each rt_mutex's wait_lock
// and each task's pi_lock hand over hand and re-validates the chain at every
// step; that scales to many CPUs but is some of the subtlest code in the
// kernel. A teaching kernel takes simplicity over scalability here on
// purpose. The PrioChangeSink callback runs under the PI lock (lock order:
// PI lock, then run-queue lock) and must not call back into this file.
//
// The kernel embeds a Task in each thread and a Waiter in the stack frame of
// the blocking call, and finds the thread from the Task with container_of.
#include <stdint.h>

#include "kernel/sched/sched_entity.h"
#include "libk/rbtree.h"
#include "libk/result.h"

namespace ksync::pi {

struct Task;
struct Lock;

// How far one operation follows a chain of blocked owners. Linux's
// max_lock_depth has the same value: a program whose chain is longer is
// broken. Past the bound the walk stops adjusting and the call still
// succeeds: the tasks further up keep a stale (too low) effective priority,
// a bounded priority inversion rather than an unbounded stall of the caller
// with interrupts off. The trees stay well-formed (a waiter's key only
// changes while it is out of its trees) and the next operation that reaches
// such a task recomputes its priority from scratch. Deadlock detection has
// the same horizon: a cycle longer than this is not seen.
inline constexpr int kMaxChainDepth = 1024;

// One task blocked on one lock. Lives as long as the blocking call.
struct Waiter {
    Waiter() = default;
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;

    Task* task = nullptr;  // who waits
    Lock* lock = nullptr;  // for what
    int prio = 0;          // the sort key: always task->prio while blocked
    uint64_t seq = 0;      // arrival number: breaks ties, first come first served
    k::RbNode lock_node;   // in lock->waiters
    k::RbNode task_node;   // in lock->owner->pi_waiters, only while the lock's top waiter
};

// Best first: smaller prio, then earlier arrival. A strict total order over
// the waiters of one lock (arrival numbers are unique).
struct WaiterOrder {
    bool operator()(const Waiter& a, const Waiter& b) const {
        return a.prio != b.prio ? a.prio < b.prio : a.seq < b.seq;
    }
};

using LockWaiters = k::RbTree<Waiter, &Waiter::lock_node, WaiterOrder>;
using PiWaiters = k::RbTree<Waiter, &Waiter::task_node, WaiterOrder>;

// The priority-inheritance state of one thread.
struct Task {
    Task() = default;
    explicit Task(int initial_prio) : base_prio(initial_prio), prio(initial_prio) {}
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;

    int base_prio = sched::kNiceZeroPrio;  // what the thread asked for
    int prio = sched::kNiceZeroPrio;       // effective: min(base_prio, best of pi_waiters)
    PiWaiters pi_waiters;                  // the top waiter of each lock this task owns
    Waiter* blocked_on = nullptr;          // the lock this task waits for, if any
};

struct Lock {
    Lock() = default;
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

    Task* owner = nullptr;  // nullptr: free (then there are no waiters either)
    LockWaiters waiters;
};

// Told about every change of a task's effective priority, blocked or
// runnable, in the order the changes happen: the kernel copies new_prio into
// the thread's SchedEntity and, if the thread is on a run queue, moves it
// (RunQueue::change_effective_prio()).
struct PrioChangeSink {
    virtual void prio_changed(Task& task, int old_prio, int new_prio) = 0;

protected:
    // Never deleted through this interface, so no virtual destructor (which
    // would drag operator delete into the freestanding kernel).
    ~PrioChangeSink() = default;
};

// The lock's best waiter, or nullptr.
inline Waiter* top_waiter(const Lock& lock) { return lock.waiters.first(); }

// What task.prio must be, computed from base_prio and pi_waiters alone.
inline int effective_prio(const Task& task) {
    const Waiter* top = task.pi_waiters.first();
    return top && top->prio < task.base_prio ? top->prio : task.base_prio;
}

// The fast path: `task` takes the free `lock` (no waiters, no owner).
// Nothing to inherit: a lock without waiters boosts nobody.
void acquire_uncontended(Lock& lock, Task& task);

// `task` (not blocked elsewhere) starts waiting for `lock`, which another
// task owns; `waiter` is in no queue, and the caller leaves it alone until
// release() hands the lock over or unblock() withdraws it. The waiter is
// queued at task.prio; if it became the lock's top waiter the owner inherits
// its priority, and so on up the chain.
// Errno::edeadlk, with nothing changed, when waiting would never end:
//   - `task` owns `lock` already (recursive locking);
//   - the chain of owners from `lock` leads back to `task` (A holds L1 and
//     waits for L2, B holds L2 and waits for L1; or any longer cycle).
// The check runs before anything is modified, so "nothing changed" needs no
// undo step.
k::Result<void> block_on(Lock& lock, Waiter& waiter, Task& task, PrioChangeSink& sink);

// The waiter gives up without the lock (time-out, signal): it leaves the
// queue and its task is no longer blocked. If it was the top waiter, the
// owner's inherited priority drops to the next waiter's (or to what its other
// locks give it), and the drop travels up the chain.
void unblock(Lock& lock, Waiter& waiter, PrioChangeSink& sink);

// The owner (a running task, so not blocked) unlocks. It loses what this
// lock's waiters lent it. With waiters, the top waiter leaves the queue,
// becomes the owner on the spot and is returned (the kernel wakes it); the
// remaining waiters now boost the new owner. Without waiters the lock becomes
// free and nullptr is returned.
//
// Hand-off, no stealing: between this call and the moment the woken task runs,
// a newcomer (even the releaser, locking again) finds the lock owned and
// queues. That costs some throughput (the releaser cannot re-take a lock it
// just dropped), but it bounds the wait of the highest-priority waiter: it
// gets the lock at the first release after it became top, not "some time,
// if it wins a race against tasks that were not even waiting". And an owned
// lock always has a definite owner to boost.
//
// The sink hears the old owner's un-boost first, then any change of the new
// owner. (The new owner was the best waiter, so the waiters left behind
// cannot beat its priority: normally it does not change.)
Task* release(Lock& lock, PrioChangeSink& sink);

// sched_setscheduler/nice on a task that may be involved in PI: sets its base
// priority (0..139), recomputes the effective one (a boost in force stays),
// and, if it is blocked, requeues its waiter and carries the change up the
// chain.
void set_base_prio(Task& task, int base_prio, PrioChangeSink& sink);

// For tests and debug checks: the invariants above that concern one lock
// (its tree, its waiters' back links and keys, the owner's entry), or one
// task (its tree, prio == effective_prio, the entries being top waiters of
// locks it owns, its blocked_on link). O(n log n).
bool check_invariants(const Lock& lock);
bool check_invariants(const Task& task);

}  // namespace ksync::pi
