#include "kernel/sync/pi_core.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <ostream>
#include <random>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using ksync::pi::Lock;
using ksync::pi::Task;
using ksync::pi::Waiter;

struct Change {
    const Task* task;
    int old_prio;
    int new_prio;
    bool operator==(const Change&) const = default;
};

void PrintTo(const Change& c, std::ostream* os) {
    *os << "{task " << c.task << ": " << c.old_prio << " -> " << c.new_prio << "}";
}

// Records what the kernel's run-queue hook would be told.
class RecordingSink final : public ksync::pi::PrioChangeSink {
public:
    void prio_changed(Task& task, int old_prio, int new_prio) override {
        changes_.push_back({&task, old_prio, new_prio});
    }
    // The changes since the last call.
    std::vector<Change> take() { return std::exchange(changes_, {}); }

private:
    std::vector<Change> changes_;
};

using Changes = std::vector<Change>;

// Everything observable about a set of tasks and locks, to show that a
// refused call changed nothing.
struct Snapshot {
    std::vector<std::tuple<int, int, const Waiter*, std::vector<const Waiter*>>> tasks;
    std::vector<std::tuple<const Task*, std::vector<const Waiter*>, std::vector<int>>> locks;
    bool operator==(const Snapshot&) const = default;
};

Snapshot capture(const std::vector<const Task*>& tasks, const std::vector<const Lock*>& locks) {
    Snapshot s;
    for (const Task* t : tasks) {
        std::vector<const Waiter*> entries;
        for (const Waiter& w : t->pi_waiters) entries.push_back(&w);
        s.tasks.emplace_back(t->base_prio, t->prio, t->blocked_on, entries);
    }
    for (const Lock* l : locks) {
        std::vector<const Waiter*> queue;
        std::vector<int> keys;
        for (const Waiter& w : l->waiters) {
            queue.push_back(&w);
            keys.push_back(w.prio);
        }
        s.locks.emplace_back(l->owner, queue, keys);
    }
    return s;
}

void block(Lock& lock, Waiter& waiter, Task& task, RecordingSink& sink) {
    ASSERT_TRUE(ksync::pi::block_on(lock, waiter, task, sink).ok());
}

// The tasks blocked on `lock`, in queue order.
std::vector<const Task*> queue_of(const Lock& lock) {
    std::vector<const Task*> order;
    for (const Waiter& w : lock.waiters) order.push_back(w.task);
    return order;
}

TEST(PiCore, UncontendedAcquireAndRelease) {
    RecordingSink sink;
    Task t(120);
    Lock lock;
    ksync::pi::acquire_uncontended(lock, t);
    EXPECT_EQ(lock.owner, &t);
    EXPECT_EQ(ksync::pi::top_waiter(lock), nullptr);
    EXPECT_EQ(ksync::pi::release(lock, sink), nullptr);
    EXPECT_EQ(lock.owner, nullptr);
    EXPECT_EQ(t.prio, 120);
    EXPECT_TRUE(sink.take().empty());
}

TEST(PiCore, SingleBoostThenUnboostOnRelease) {
    RecordingSink sink;
    Task low(120), high(10);
    Lock lock;
    Waiter w;
    ksync::pi::acquire_uncontended(lock, low);

    block(lock, w, high, sink);
    EXPECT_EQ(low.prio, 10);
    EXPECT_EQ(low.base_prio, 120);
    EXPECT_EQ(high.blocked_on, &w);
    EXPECT_EQ(ksync::pi::top_waiter(lock), &w);
    EXPECT_EQ(sink.take(), (Changes{{&low, 120, 10}}));
    EXPECT_TRUE(ksync::pi::check_invariants(lock));
    EXPECT_TRUE(ksync::pi::check_invariants(low));
    EXPECT_TRUE(ksync::pi::check_invariants(high));

    EXPECT_EQ(ksync::pi::release(lock, sink), &high);
    EXPECT_EQ(lock.owner, &high);
    EXPECT_EQ(high.blocked_on, nullptr);
    EXPECT_EQ(low.prio, 120);
    EXPECT_EQ(high.prio, 10);
    EXPECT_TRUE(lock.waiters.empty());
    EXPECT_TRUE(low.pi_waiters.empty());
    EXPECT_TRUE(high.pi_waiters.empty());
    EXPECT_EQ(sink.take(), (Changes{{&low, 10, 120}}));
    EXPECT_TRUE(ksync::pi::check_invariants(lock));

    EXPECT_EQ(ksync::pi::release(lock, sink), nullptr);
    EXPECT_EQ(lock.owner, nullptr);
    EXPECT_TRUE(sink.take().empty());
}

TEST(PiCore, LowerPriorityWaiterLendsNothing) {
    RecordingSink sink;
    Task owner(50), waiter_task(120);
    Lock lock;
    Waiter w;
    ksync::pi::acquire_uncontended(lock, owner);
    block(lock, w, waiter_task, sink);
    EXPECT_EQ(owner.prio, 50);
    EXPECT_TRUE(sink.take().empty());
    // The entry is there all the same: a later boost of the waiter must reach the owner.
    EXPECT_EQ(owner.pi_waiters.first(), &w);
    EXPECT_TRUE(ksync::pi::check_invariants(lock));
}

TEST(PiCore, EqualPrioritiesAreServedInArrivalOrder) {
    RecordingSink sink;
    Task owner(120), early_low(60), first(50), second(50), third(50);
    Lock lock;
    Waiter w0, w1, w2, w3;
    ksync::pi::acquire_uncontended(lock, owner);
    block(lock, w0, early_low, sink);
    block(lock, w1, first, sink);
    block(lock, w2, second, sink);
    block(lock, w3, third, sink);
    EXPECT_EQ(queue_of(lock), (std::vector<const Task*>{&first, &second, &third, &early_low}));
    EXPECT_EQ(sink.take(), (Changes{{&owner, 120, 60}, {&owner, 60, 50}}));

    // Hand-off order: each new owner releases in turn.
    EXPECT_EQ(ksync::pi::release(lock, sink), &first);
    EXPECT_EQ(first.prio, 50);
    EXPECT_EQ(ksync::pi::release(lock, sink), &second);
    EXPECT_EQ(ksync::pi::release(lock, sink), &third);
    EXPECT_EQ(third.prio, 50);  // early_low lends nothing to a 50
    EXPECT_EQ(ksync::pi::release(lock, sink), &early_low);
    EXPECT_EQ(ksync::pi::release(lock, sink), nullptr);
    EXPECT_EQ(sink.take(), (Changes{{&owner, 50, 120}}));
}

TEST(PiCore, BoostedWaiterReturnsToItsPlaceAmongEquals) {
    // `first` is boosted (it owns L2 and a high task waits there), moves to the
    // front of L1's queue, and when the boost ends goes back to its arrival
    // place: ahead of `second` and `third`, which came later. With plain
    // re-insertion it would end up behind them.
    RecordingSink sink;
    Task owner(120), first(50), second(50), third(50), high(5);
    Lock l1, l2;
    Waiter w1, w2, w3, wh;
    ksync::pi::acquire_uncontended(l1, owner);
    ksync::pi::acquire_uncontended(l2, first);
    block(l1, w1, first, sink);
    block(l1, w2, second, sink);
    block(l1, w3, third, sink);
    sink.take();

    block(l2, wh, high, sink);
    EXPECT_EQ(sink.take(), (Changes{{&first, 50, 5}, {&owner, 50, 5}}));
    ksync::pi::unblock(l2, wh, sink);
    EXPECT_EQ(sink.take(), (Changes{{&first, 5, 50}, {&owner, 5, 50}}));
    EXPECT_EQ(queue_of(l1), (std::vector<const Task*>{&first, &second, &third}));

    // Now boost the last one in the queue: it overtakes, and falls back behind.
    ksync::pi::set_base_prio(third, 20, sink);
    EXPECT_EQ(queue_of(l1), (std::vector<const Task*>{&third, &first, &second}));
    ksync::pi::set_base_prio(third, 50, sink);
    EXPECT_EQ(queue_of(l1), (std::vector<const Task*>{&first, &second, &third}));
    EXPECT_EQ(ksync::pi::release(l1, sink), &first);
}

// A chain of `n` locks: waiter -> L[0] owned by owners[0], owners[0] waits
// for L[1] owned by owners[1], ..., owners[n-1] runs. Owner i has base
// priority 100 + 5 * i, so each one is boosted by the one before it even
// before the high-priority waiter arrives; then the waiter (prio 3) blocks
// and everybody inherits 3. Releasing from the far end un-boosts step by step.
void run_chain_test(int n) {
    SCOPED_TRACE(n);
    RecordingSink sink;
    Task waiter_task(3);
    std::vector<std::unique_ptr<Task>> owners;
    std::vector<std::unique_ptr<Lock>> locks;
    std::vector<std::unique_ptr<Waiter>> waiters;  // waiters[i]: owners[i] on locks[i+1]
    for (int i = 0; i < n; ++i) {
        owners.push_back(std::make_unique<Task>(100 + 5 * i));
        locks.push_back(std::make_unique<Lock>());
        waiters.push_back(std::make_unique<Waiter>());
        ksync::pi::acquire_uncontended(*locks[i], *owners[i]);
    }
    // Block from the far end, so each owner is blocked before anyone waits on it.
    for (int i = n - 2; i >= 0; --i) block(*locks[i + 1], *waiters[i], *owners[i], sink);
    for (int i = 0; i < n; ++i) EXPECT_EQ(owners[i]->prio, 100) << i;
    sink.take();

    Waiter top;
    block(*locks[0], top, waiter_task, sink);
    Changes expected;
    for (int i = 0; i < n; ++i) {
        EXPECT_EQ(owners[i]->prio, 3) << i;
        expected.push_back({owners[i].get(), 100, 3});
    }
    EXPECT_EQ(sink.take(), expected);
    for (int i = 0; i < n; ++i) {
        EXPECT_TRUE(ksync::pi::check_invariants(*owners[i])) << i;
        EXPECT_TRUE(ksync::pi::check_invariants(*locks[i])) << i;
    }

    // The last owner releases its lock to owners[n-2], which now holds two
    // locks (its own and the handed-over one) and releases the handed-over
    // one at once (nobody waits there any more), then its own, and so on.
    for (int i = n - 1; i >= 1; --i) {
        EXPECT_EQ(ksync::pi::release(*locks[i], sink), owners[i - 1].get()) << i;
        EXPECT_EQ(owners[i]->prio, 100 + 5 * i) << i;
        EXPECT_EQ(sink.take(), (Changes{{owners[i].get(), 3, 100 + 5 * i}})) << i;
        EXPECT_EQ(owners[i - 1]->prio, 3) << i;  // still boosted through the rest of the chain
        EXPECT_EQ(ksync::pi::release(*locks[i], sink), nullptr) << i;
        EXPECT_TRUE(sink.take().empty());
        for (int j = 0; j < i; ++j) EXPECT_EQ(owners[j]->prio, 3) << i << " " << j;
    }
    EXPECT_EQ(ksync::pi::release(*locks[0], sink), &waiter_task);
    EXPECT_EQ(owners[0]->prio, 100);
    EXPECT_EQ(sink.take(), (Changes{{owners[0].get(), 3, 100}}));
}

TEST(PiCore, ChainOfThreeLocks) { run_chain_test(3); }
TEST(PiCore, ChainOfFourLocks) { run_chain_test(4); }
TEST(PiCore, ChainOfFiftyLocks) { run_chain_test(50); }

// A waits on L1 owned by B, B on L2 owned by C, C on L3 owned by D.
struct ChainOfThree {
    RecordingSink sink;
    Task a{10}, b{100}, c{110}, d{120};
    Lock l1, l2, l3;
    Waiter wa, wb, wc;

    ChainOfThree() {
        ksync::pi::acquire_uncontended(l1, b);
        ksync::pi::acquire_uncontended(l2, c);
        ksync::pi::acquire_uncontended(l3, d);
        EXPECT_TRUE(ksync::pi::block_on(l3, wc, c, sink).ok());
        EXPECT_TRUE(ksync::pi::block_on(l2, wb, b, sink).ok());
        EXPECT_TRUE(ksync::pi::block_on(l1, wa, a, sink).ok());
    }
    bool all_consistent() const {
        for (const Task* t : {&a, &b, &c, &d})
            if (!ksync::pi::check_invariants(*t)) return false;
        for (const Lock* l : {&l1, &l2, &l3})
            if (!ksync::pi::check_invariants(*l)) return false;
        return true;
    }
};

TEST(PiCore, ChainBuildsUpInOrder) {
    ChainOfThree ch;
    EXPECT_EQ(ch.sink.take(), (Changes{{&ch.d, 120, 110},
                                       {&ch.c, 110, 100},
                                       {&ch.d, 110, 100},
                                       {&ch.b, 100, 10},
                                       {&ch.c, 100, 10},
                                       {&ch.d, 100, 10}}));
    EXPECT_TRUE(ch.all_consistent());
}

TEST(PiCore, TimeOutOfTheHeadOfTheChainUnboostsAll) {
    ChainOfThree ch;
    ch.sink.take();
    ksync::pi::unblock(ch.l1, ch.wa, ch.sink);
    EXPECT_EQ(ch.a.blocked_on, nullptr);
    EXPECT_EQ(ch.sink.take(), (Changes{{&ch.b, 10, 100}, {&ch.c, 10, 100}, {&ch.d, 10, 100}}));
    EXPECT_TRUE(ch.all_consistent());
}

TEST(PiCore, TimeOutMidChainUnboostsOnlyAboveIt) {
    ChainOfThree ch;
    ch.sink.take();
    // B gives up waiting for L2: C and D lose what came through B, but B
    // itself is still boosted by A, who waits for B's L1.
    ksync::pi::unblock(ch.l2, ch.wb, ch.sink);
    EXPECT_EQ(ch.b.prio, 10);
    EXPECT_EQ(ch.c.prio, 110);
    EXPECT_EQ(ch.d.prio, 110);  // C still waits on L3
    EXPECT_EQ(ch.sink.take(), (Changes{{&ch.c, 10, 110}, {&ch.d, 10, 110}}));
    EXPECT_TRUE(ch.all_consistent());

    // A's wait is not affected: the lock it waits for is still owned by B.
    EXPECT_EQ(ksync::pi::release(ch.l1, ch.sink), &ch.a);
    EXPECT_EQ(ch.b.prio, 100);
}

TEST(PiCore, LowerWaiterLeavingKeepsTheBoost) {
    RecordingSink sink;
    Task owner(120), high(10), medium(50);
    Lock lock;
    Waiter wh, wm;
    ksync::pi::acquire_uncontended(lock, owner);
    block(lock, wh, high, sink);
    block(lock, wm, medium, sink);
    EXPECT_EQ(sink.take(), (Changes{{&owner, 120, 10}}));

    ksync::pi::unblock(lock, wm, sink);
    EXPECT_EQ(owner.prio, 10);
    EXPECT_TRUE(sink.take().empty());
    EXPECT_TRUE(ksync::pi::check_invariants(lock));

    // And the other way round: the top leaving drops the owner to the next.
    block(lock, wm, medium, sink);
    ksync::pi::unblock(lock, wh, sink);
    EXPECT_EQ(owner.prio, 50);
    EXPECT_EQ(sink.take(), (Changes{{&owner, 10, 50}}));
    EXPECT_EQ(owner.pi_waiters.first(), &wm);
    EXPECT_TRUE(ksync::pi::check_invariants(lock));
    EXPECT_TRUE(ksync::pi::check_invariants(owner));
}

TEST(PiCore, OwnerOfTwoLocksRunsAtTheBestOfBothTops) {
    RecordingSink sink;
    Task owner(120), x(50), y(30), z(40);
    Lock l1, l2;
    Waiter wx, wy, wz;
    ksync::pi::acquire_uncontended(l1, owner);
    ksync::pi::acquire_uncontended(l2, owner);
    block(l1, wx, x, sink);
    block(l2, wy, y, sink);
    block(l2, wz, z, sink);
    EXPECT_EQ(owner.prio, 30);
    EXPECT_EQ(owner.pi_waiters.size(), 2u);  // one entry per lock, not per waiter
    EXPECT_EQ(sink.take(), (Changes{{&owner, 120, 50}, {&owner, 50, 30}}));

    ksync::pi::unblock(l2, wy, sink);  // l2's top is z (40) now
    EXPECT_EQ(owner.prio, 40);
    EXPECT_EQ(ksync::pi::release(l2, sink), &z);  // only x (50) on l1 is left
    EXPECT_EQ(owner.prio, 50);
    EXPECT_EQ(ksync::pi::release(l1, sink), &x);
    EXPECT_EQ(owner.prio, 120);
    EXPECT_EQ(sink.take(), (Changes{{&owner, 30, 40}, {&owner, 40, 50}, {&owner, 50, 120}}));
    EXPECT_TRUE(owner.pi_waiters.empty());
}

TEST(PiCore, NewOwnerInheritsFromTheWaitersLeftBehind) {
    // The new owner comes out as the best waiter, so the others cannot raise
    // it; but the entry must be there, so a later boost of one of them does.
    RecordingSink sink;
    Task owner(120), first(20), second(30);
    Lock lock;
    Waiter w1, w2;
    ksync::pi::acquire_uncontended(lock, owner);
    block(lock, w1, first, sink);
    block(lock, w2, second, sink);
    sink.take();
    EXPECT_EQ(ksync::pi::release(lock, sink), &first);
    EXPECT_EQ(sink.take(), (Changes{{&owner, 20, 120}}));
    EXPECT_EQ(first.pi_waiters.first(), &w2);
    ksync::pi::set_base_prio(second, 5, sink);
    EXPECT_EQ(first.prio, 5);
    EXPECT_EQ(sink.take(), (Changes{{&second, 30, 5}, {&first, 20, 5}}));
}

TEST(PiCore, RecursiveLockingIsADeadlock) {
    RecordingSink sink;
    Task t(50), other(10);
    Lock lock;
    Waiter wo, w;
    ksync::pi::acquire_uncontended(lock, t);
    block(lock, wo, other, sink);
    sink.take();
    const Snapshot before = capture({&t, &other}, {&lock});

    auto result = ksync::pi::block_on(lock, w, t, sink);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error(), k::Errno::edeadlk);
    EXPECT_EQ(capture({&t, &other}, {&lock}), before);
    EXPECT_FALSE(w.lock_node.is_linked());
    EXPECT_FALSE(w.task_node.is_linked());
    EXPECT_EQ(t.blocked_on, nullptr);
    EXPECT_TRUE(sink.take().empty());
}

TEST(PiCore, TwoTaskCycleIsRefusedAndChangesNothing) {
    RecordingSink sink;
    Task a(100), b(10);
    Lock la, lb;
    Waiter wa, wb;
    ksync::pi::acquire_uncontended(la, a);
    ksync::pi::acquire_uncontended(lb, b);
    block(lb, wa, a, sink);  // A waits for B's lock
    sink.take();
    const Snapshot before = capture({&a, &b}, {&la, &lb});

    auto result = ksync::pi::block_on(la, wb, b, sink);  // B waits for A's: cycle
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error(), k::Errno::edeadlk);
    EXPECT_EQ(capture({&a, &b}, {&la, &lb}), before);
    EXPECT_EQ(a.prio, 100);  // B's 10 was never lent
    EXPECT_EQ(b.blocked_on, nullptr);
    EXPECT_FALSE(wb.lock_node.is_linked());
    EXPECT_TRUE(sink.take().empty());
    EXPECT_TRUE(ksync::pi::check_invariants(a) && ksync::pi::check_invariants(b));
    EXPECT_TRUE(ksync::pi::check_invariants(la) && ksync::pi::check_invariants(lb));
}

TEST(PiCore, ThreeTaskCycleIsRefusedAndChangesNothing) {
    RecordingSink sink;
    Task a(120), b(110), c(5), bystander(1);
    Lock la, lb, lc;
    Waiter wa, wb, wc, wx;
    ksync::pi::acquire_uncontended(la, a);
    ksync::pi::acquire_uncontended(lb, b);
    ksync::pi::acquire_uncontended(lc, c);
    block(lb, wa, a, sink);          // A -> B
    block(lc, wb, b, sink);          // B -> C
    block(la, wx, bystander, sink);  // someone waits on A's lock: everyone runs at 1
    sink.take();
    const Snapshot before = capture({&a, &b, &c, &bystander}, {&la, &lb, &lc});

    auto result = ksync::pi::block_on(la, wc, c, sink);  // C -> A closes the cycle
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error(), k::Errno::edeadlk);
    EXPECT_EQ(capture({&a, &b, &c, &bystander}, {&la, &lb, &lc}), before);
    EXPECT_EQ(c.blocked_on, nullptr);
    EXPECT_TRUE(sink.take().empty());

    // Not a cycle: the bystander's own waiter chain is fine, and C may wait on
    // a lock nobody in the chain owns.
    Task outsider(130);
    Lock lo;
    ksync::pi::acquire_uncontended(lo, outsider);
    block(lo, wc, c, sink);
    EXPECT_EQ(outsider.prio, 1);
}

TEST(PiCore, SetBasePrioOfBlockedMiddleTaskPropagates) {
    ChainOfThree ch;  // A(10) -> B(100) -> C(110) -> D(120), all at 10 now
    ch.sink.take();

    // Raising B above what it inherits: C and D follow.
    ksync::pi::set_base_prio(ch.b, 4, ch.sink);
    EXPECT_EQ(ch.sink.take(), (Changes{{&ch.b, 10, 4}, {&ch.c, 10, 4}, {&ch.d, 10, 4}}));
    EXPECT_TRUE(ch.all_consistent());

    // Lowering it back below the inherited 10: the boost from A remains.
    ksync::pi::set_base_prio(ch.b, 130, ch.sink);
    EXPECT_EQ(ch.b.base_prio, 130);
    EXPECT_EQ(ch.sink.take(), (Changes{{&ch.b, 4, 10}, {&ch.c, 4, 10}, {&ch.d, 4, 10}}));
    EXPECT_TRUE(ch.all_consistent());

    // A change under the boost is invisible: nothing to tell.
    ksync::pi::set_base_prio(ch.c, 50, ch.sink);
    EXPECT_TRUE(ch.sink.take().empty());

    // The waiter at the head lowers itself: everybody falls back to the best
    // of their own bases along the chain (B 130, C 50 -> C 50, D min(120, 50)).
    ksync::pi::set_base_prio(ch.a, 90, ch.sink);
    EXPECT_EQ(ch.b.prio, 90);
    EXPECT_EQ(ch.c.prio, 50);
    EXPECT_EQ(ch.d.prio, 50);
    EXPECT_EQ(ch.sink.take(), (Changes{{&ch.a, 10, 90}, {&ch.b, 10, 90}, {&ch.c, 10, 50}, {&ch.d, 10, 50}}));
    EXPECT_TRUE(ch.all_consistent());
}

// Long chains: the walk stops after kMaxChainDepth tasks.
struct LongChain {
    explicit LongChain(int n) {
        for (int i = 0; i < n; ++i) {
            owners.push_back(std::make_unique<Task>(120));
            locks.push_back(std::make_unique<Lock>());
            waiters.push_back(std::make_unique<Waiter>());
            ksync::pi::acquire_uncontended(*locks[i], *owners[i]);
        }
        for (int i = n - 2; i >= 0; --i)
            EXPECT_TRUE(ksync::pi::block_on(*locks[i + 1], *waiters[i], *owners[i], sink).ok());
    }
    RecordingSink sink;
    std::vector<std::unique_ptr<Task>> owners;
    std::vector<std::unique_ptr<Lock>> locks;
    std::vector<std::unique_ptr<Waiter>> waiters;
};

TEST(PiCore, ChainWalkStopsAtTheDepthBound) {
    constexpr int kDepth = ksync::pi::kMaxChainDepth;
    LongChain chain(kDepth + 50);
    chain.sink.take();
    Task high(0);
    Waiter w;
    ASSERT_TRUE(ksync::pi::block_on(*chain.locks[0], w, high, chain.sink).ok());
    EXPECT_EQ(chain.sink.take().size(), static_cast<size_t>(kDepth));
    EXPECT_EQ(chain.owners[kDepth - 1]->prio, 0);
    EXPECT_EQ(chain.owners[kDepth]->prio, 120);  // stale: beyond the bound
    // Stale, but the queues are still well-formed and keyed right.
    for (auto& lock : chain.locks) EXPECT_TRUE(ksync::pi::check_invariants(*lock));
    EXPECT_FALSE(ksync::pi::check_invariants(*chain.owners[kDepth]));

    // Any later operation reaching the stale task recomputes it from scratch.
    ksync::pi::set_base_prio(*chain.owners[kDepth], 119, chain.sink);
    EXPECT_EQ(chain.owners[kDepth]->prio, 0);
    EXPECT_EQ(chain.owners[kDepth + 1]->prio, 0);
    EXPECT_TRUE(ksync::pi::check_invariants(*chain.owners.back()));
}

TEST(PiCore, ReleaseRecomputesAStaleNewOwner) {
    constexpr int kDepth = ksync::pi::kMaxChainDepth;
    LongChain chain(kDepth + 2);  // owners[kDepth + 1] runs, everyone below waits
    Task high(0);
    Waiter w;
    ASSERT_TRUE(ksync::pi::block_on(*chain.locks[0], w, high, chain.sink).ok());
    Task& stale = *chain.owners[kDepth];
    ASSERT_EQ(stale.prio, 120);
    chain.sink.take();

    // The last owner hands its lock to the stale task, which is not blocked
    // any more: release() must bring its priority up to date.
    EXPECT_EQ(ksync::pi::release(*chain.locks[kDepth + 1], chain.sink), &stale);
    EXPECT_EQ(stale.prio, 0);
    EXPECT_EQ(chain.sink.take(), (Changes{{&stale, 120, 0}}));
    EXPECT_TRUE(ksync::pi::check_invariants(stale));
}

TEST(PiCore, CycleWithinTheBoundIsDetected) {
    LongChain chain(ksync::pi::kMaxChainDepth - 1);
    Waiter w;
    auto result = ksync::pi::block_on(*chain.locks[0], w, *chain.owners.back(), chain.sink);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error(), k::Errno::edeadlk);
}

TEST(PiCore, CycleBeyondTheBoundIsNotSeenButTheCallTerminates) {
    // Documented limitation: like Linux's max_lock_depth, a longer chain is
    // treated as a broken program, not searched to the end.
    LongChain chain(ksync::pi::kMaxChainDepth + 10);
    Waiter w;
    EXPECT_TRUE(ksync::pi::block_on(*chain.locks[0], w, *chain.owners.back(), chain.sink).ok());
}

// ---------------------------------------------------------------------------
// Randomized: thousands of operations on a few tasks and locks, each checked
// against a from-scratch model that knows nothing of trees or chain walks.

struct Model {
    std::vector<int> base;        // per task
    std::vector<int> waiting_on;  // per task: lock index or -1
    std::vector<uint64_t> arrival;
    std::vector<int> owner;  // per lock: task index or -1
    uint64_t next_arrival = 0;

    // Effective priority by definition: the best of the task's base and the
    // effective priorities of everybody waiting for a lock it owns.
    int effective(int t) const {
        int best = base[t];
        for (size_t u = 0; u < waiting_on.size(); ++u) {
            if (waiting_on[u] >= 0 && owner[waiting_on[u]] == t) best = std::min(best, effective(static_cast<int>(u)));
        }
        return best;
    }
    std::vector<int> queue(int lock) const {
        std::vector<int> q;
        for (size_t u = 0; u < waiting_on.size(); ++u)
            if (waiting_on[u] == lock) q.push_back(static_cast<int>(u));
        std::sort(q.begin(), q.end(), [&](int x, int y) {
            return std::make_pair(effective(x), arrival[x]) < std::make_pair(effective(y), arrival[y]);
        });
        return q;
    }
    // Would `t` waiting for `lock` close a cycle?
    bool would_deadlock(int t, int lock) const {
        for (int o = owner[lock]; o >= 0; o = waiting_on[o] >= 0 ? owner[waiting_on[o]] : -1) {
            if (o == t) return true;
        }
        return false;
    }
    int chain_length(int t) const {
        int n = 0;
        while (waiting_on[t] >= 0) {
            t = owner[waiting_on[t]];
            ++n;
        }
        return n;
    }
};

void run_random_test(uint32_t seed, int operations) {
    SCOPED_TRACE(seed);
    constexpr int kTasks = 10;
    constexpr int kLocks = 6;
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
    // Half the time a priority from a small set, so ties (FIFO) happen often.
    auto random_prio = [&] {
        static constexpr int kCommon[] = {10, 50, 99, 100, 120};
        return pick(2) ? kCommon[pick(5)] : pick(140);
    };

    RecordingSink sink;
    std::vector<std::unique_ptr<Task>> tasks;
    std::vector<std::unique_ptr<Lock>> locks;
    std::vector<std::unique_ptr<Waiter>> waiters;  // each task's wait record
    Model model;
    for (int i = 0; i < kTasks; ++i) {
        int prio = random_prio();
        tasks.push_back(std::make_unique<Task>(prio));
        waiters.push_back(std::make_unique<Waiter>());
        model.base.push_back(prio);
        model.waiting_on.push_back(-1);
        model.arrival.push_back(0);
    }
    for (int i = 0; i < kLocks; ++i) {
        locks.push_back(std::make_unique<Lock>());
        model.owner.push_back(-1);
    }
    std::vector<const Task*> task_ptrs;
    std::vector<const Lock*> lock_ptrs;
    for (auto& t : tasks) task_ptrs.push_back(t.get());
    for (auto& l : locks) lock_ptrs.push_back(l.get());
    auto index_of = [&](const Task* t) {
        for (int i = 0; i < kTasks; ++i)
            if (tasks[i].get() == t) return i;
        return -1;
    };

    int deadlocks = 0, blocks = 0, releases_with_handoff = 0, unblocks = 0, base_changes = 0, longest_chain = 0;
    for (int op = 0; op < operations; ++op) {
        SCOPED_TRACE(op);
        std::vector<int> prio_before;
        for (auto& t : tasks) prio_before.push_back(t->prio);

        switch (pick(10)) {
            case 0:
            case 1:
            case 2:
            case 3: {  // lock (fast path if free)
                int t = pick(kTasks);
                if (model.waiting_on[t] >= 0) break;  // a sleeping task does nothing
                int l = pick(kLocks);
                if (model.owner[l] < 0) {
                    ksync::pi::acquire_uncontended(*locks[l], *tasks[t]);
                    model.owner[l] = t;
                    break;
                }
                const Snapshot before = capture(task_ptrs, lock_ptrs);
                auto result = ksync::pi::block_on(*locks[l], *waiters[t], *tasks[t], sink);
                if (model.would_deadlock(t, l)) {
                    ASSERT_FALSE(result.ok());
                    ASSERT_EQ(result.error(), k::Errno::edeadlk);
                    ASSERT_EQ(capture(task_ptrs, lock_ptrs), before);
                    ++deadlocks;
                } else {
                    ASSERT_TRUE(result.ok());
                    model.waiting_on[t] = l;
                    model.arrival[t] = model.next_arrival++;
                    longest_chain = std::max(longest_chain, model.chain_length(t));
                    ++blocks;
                }
                break;
            }
            case 4:
            case 5:
            case 6: {  // unlock, by a running owner
                int l = pick(kLocks);
                int o = model.owner[l];
                if (o < 0 || model.waiting_on[o] >= 0) break;
                std::vector<int> q = model.queue(l);
                Task* new_owner = ksync::pi::release(*locks[l], sink);
                if (q.empty()) {
                    ASSERT_EQ(new_owner, nullptr);
                    model.owner[l] = -1;
                } else {
                    ASSERT_EQ(index_of(new_owner), q.front());
                    model.owner[l] = q.front();
                    model.waiting_on[q.front()] = -1;
                    ++releases_with_handoff;
                }
                break;
            }
            case 7: {  // time-out or signal
                int t = pick(kTasks);
                int l = model.waiting_on[t];
                if (l < 0) break;
                ksync::pi::unblock(*locks[l], *waiters[t], sink);
                model.waiting_on[t] = -1;
                ++unblocks;
                break;
            }
            default: {  // sched_setscheduler
                int t = pick(kTasks);
                int prio = random_prio();
                ksync::pi::set_base_prio(*tasks[t], prio, sink);
                model.base[t] = prio;
                ++base_changes;
                break;
            }
        }

        // Every priority against the definition, every queue against the model.
        Changes expected;
        for (int t = 0; t < kTasks; ++t) {
            ASSERT_EQ(tasks[t]->prio, model.effective(t)) << "task " << t;
            ASSERT_EQ(tasks[t]->base_prio, model.base[t]);
            ASSERT_TRUE(ksync::pi::check_invariants(*tasks[t])) << "task " << t;
            if (prio_before[t] != tasks[t]->prio) expected.push_back({tasks[t].get(), prio_before[t], tasks[t]->prio});
        }
        for (int l = 0; l < kLocks; ++l) {
            ASSERT_TRUE(ksync::pi::check_invariants(*locks[l])) << "lock " << l;
            ASSERT_EQ(locks[l]->owner, model.owner[l] < 0 ? nullptr : tasks[model.owner[l]].get());
            std::vector<int> actual;
            for (const Waiter& w : locks[l]->waiters) actual.push_back(index_of(w.task));
            ASSERT_EQ(actual, model.queue(l)) << "lock " << l;
        }
        // The sink heard each change exactly once, old -> new (order across
        // tasks is checked by the directed tests; compare as sets here).
        Changes heard = sink.take();
        auto by_task = [](const Change& x, const Change& y) { return std::less<const Task*>()(x.task, y.task); };
        std::sort(heard.begin(), heard.end(), by_task);
        std::sort(expected.begin(), expected.end(), by_task);
        ASSERT_EQ(heard, expected);
    }
    // The run really exercised the interesting cases.
    EXPECT_GT(deadlocks, 10);
    EXPECT_GT(blocks, 100);
    EXPECT_GT(releases_with_handoff, 100);
    EXPECT_GT(unblocks, 50);
    EXPECT_GT(base_changes, 100);
    EXPECT_GE(longest_chain, 3);
}

TEST(PiCore, RandomOperationsMatchABruteForceModel) {
    for (uint32_t seed : {1u, 2u, 3u, 20240601u, 0xdeadbeefu}) run_random_test(seed, 4000);
}

}  // namespace
