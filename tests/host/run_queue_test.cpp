#include "kernel/sched/run_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <vector>

namespace {

using sched::DequeueFlags;
using sched::EnqueueFlags;
using sched::Policy;
using sched::RunQueue;
using sched::SchedEntity;

constexpr uint64_t kMs = 1'000'000;

void make_normal(SchedEntity& e, int nice) { ASSERT_TRUE(sched::configure_normal(e, nice).ok()); }
void make_idle(SchedEntity& e, int nice = 0) { ASSERT_TRUE(sched::configure_normal(e, nice, true).ok()); }
void make_fifo(SchedEntity& e, int rt_priority) {
    ASSERT_TRUE(sched::configure_real_time(e, Policy::Fifo, rt_priority).ok());
}
void make_rr(SchedEntity& e, int rt_priority) {
    ASSERT_TRUE(sched::configure_real_time(e, Policy::RoundRobin, rt_priority).ok());
}

// Takes the best waiting entity off the queue for good (it "runs and
// exits"), returning it.
SchedEntity* run_and_exit(RunQueue& rq) {
    SchedEntity* next = rq.pick_next();
    if (!next) return nullptr;
    rq.set_running(next);
    rq.dequeue(*next);
    return next;
}

void drain(RunQueue& rq) {
    if (SchedEntity* current = rq.current()) rq.dequeue(*current);
    while (run_and_exit(rq)) {
    }
}

TEST(RunQueue, PriorityNumbering) {
    EXPECT_EQ(sched::prio_of_rt_priority(99), 0);
    EXPECT_EQ(sched::prio_of_rt_priority(1), 98);
    EXPECT_EQ(sched::prio_of_nice(-20), 100);
    EXPECT_EQ(sched::prio_of_nice(0), 120);
    EXPECT_EQ(sched::prio_of_nice(19), 139);

    SchedEntity e;
    EXPECT_EQ(sched::configure_real_time(e, Policy::Fifo, 0).error(), k::Errno::einval);
    EXPECT_EQ(sched::configure_real_time(e, Policy::Fifo, 100).error(), k::Errno::einval);
    EXPECT_EQ(sched::configure_real_time(e, Policy::Normal, 10).error(), k::Errno::einval);
    EXPECT_EQ(sched::configure_normal(e, 20).error(), k::Errno::einval);
    EXPECT_EQ(sched::configure_normal(e, -21).error(), k::Errno::einval);

    make_fifo(e, 30);
    EXPECT_EQ(e.base_prio, 69);
    EXPECT_EQ(e.prio, 69);
    EXPECT_TRUE(e.is_real_time());
    make_normal(e, -3);
    EXPECT_EQ(e.base_prio, 117);
    EXPECT_EQ(e.weight, sched::weight_of_nice(-3));
    EXPECT_FALSE(e.is_real_time());
    make_idle(e);
    EXPECT_EQ(e.policy, Policy::Idle);
    EXPECT_EQ(e.weight, sched::kIdlePolicyWeight);
}

TEST(RunQueue, NiceWeightsFollowTheRatio) {
    EXPECT_EQ(sched::weight_of_nice(0), 1024u);
    for (int nice = sched::kMinNice; nice < sched::kMaxNice; ++nice) {
        double ratio = double(sched::weight_of_nice(nice)) / sched::weight_of_nice(nice + 1);
        // Rounding to integers distorts the small weights most (18/15 = 1.2).
        EXPECT_NEAR(ratio, 1.25, nice < 15 ? 0.01 : 0.06) << "nice " << nice;
    }
}

TEST(RunQueue, EmptyQueuePicksNothing) {
    RunQueue rq;
    EXPECT_EQ(rq.pick_next(), nullptr);
    EXPECT_EQ(rq.nr_running(), 0u);
    EXPECT_EQ(rq.load(), 0u);
    EXPECT_TRUE(rq.check_invariants());
    rq.set_running(nullptr);  // going idle is allowed
    EXPECT_EQ(rq.current(), nullptr);
}

TEST(RunQueue, StrictPriorityOrderAcrossBothBitmapWords) {
    // rt_priority -> prio: 99->0, 36->63, 35->64, 30->69, 1->98; then normal.
    std::array<SchedEntity, 7> e;
    make_fifo(e[0], 1);
    make_normal(e[1], -20);  // the heaviest normal thread still waits for every real-time one
    make_fifo(e[2], 35);
    make_rr(e[3], 99);
    make_fifo(e[4], 36);
    make_fifo(e[5], 30);
    make_normal(e[6], 0);
    RunQueue rq;
    for (SchedEntity& entity : e) rq.enqueue(entity, EnqueueFlags::Wakeup);
    EXPECT_EQ(rq.nr_running(), 7u);
    EXPECT_EQ(rq.rt_count(), 5u);
    EXPECT_EQ(rq.normal_count(), 2u);
    EXPECT_EQ(rq.load(), 5 * uint64_t{sched::kRealTimeLoadWeight} + sched::weight_of_nice(-20) + 1024);
    EXPECT_TRUE(rq.check_invariants());

    std::vector<int> prios;
    while (SchedEntity* next = run_and_exit(rq)) {
        prios.push_back(next->prio);
        EXPECT_TRUE(rq.check_invariants());
    }
    ASSERT_EQ(prios.size(), 7u);
    EXPECT_EQ(std::vector<int>(prios.begin(), prios.begin() + 5), (std::vector<int>{0, 63, 64, 69, 98}));
    EXPECT_EQ(rq.nr_running(), 0u);
    EXPECT_EQ(rq.load(), 0u);
}

TEST(RunQueue, FifoWithinALevelAndFifoNeverRotates) {
    std::array<SchedEntity, 3> e;
    RunQueue rq;
    for (SchedEntity& entity : e) {
        make_fifo(entity, 10);
        rq.enqueue(entity, EnqueueFlags::Wakeup);
    }
    ASSERT_EQ(rq.pick_next(), &e[0]);
    rq.set_running(&e[0]);
    EXPECT_EQ(rq.time_slice_ns(e[0]), sched::kInfiniteSliceNs);
    // However long it runs, a FIFO thread's slice never expires.
    for (int i = 0; i < 100; ++i) EXPECT_FALSE(rq.account(e[0], 1000 * kMs));
    // Peers at the same level do not preempt it.
    EXPECT_FALSE(rq.should_preempt(&e[0], e[1]));
    rq.dequeue(e[0]);  // blocks
    EXPECT_EQ(run_and_exit(rq), &e[1]);
    EXPECT_EQ(run_and_exit(rq), &e[2]);
}

TEST(RunQueue, RoundRobinRotatesWhenTheSliceExpires) {
    std::array<SchedEntity, 3> e;
    RunQueue rq;
    for (SchedEntity& entity : e) {
        make_rr(entity, 10);
        rq.enqueue(entity, EnqueueFlags::Wakeup);
    }
    EXPECT_EQ(rq.time_slice_ns(e[0]), sched::kRoundRobinSliceNs);
    std::vector<SchedEntity*> order;
    for (int turn = 0; turn < 6; ++turn) {
        SchedEntity* next = rq.pick_next();
        rq.set_running(next);
        order.push_back(next);
        EXPECT_EQ(next->slice_remaining_ns, sched::kRoundRobinSliceNs);
        // 99 ms: still its turn; the 100th ms ends the slice.
        for (int ms = 0; ms < 99; ++ms) ASSERT_FALSE(rq.account(*next, kMs));
        EXPECT_TRUE(rq.account(*next, kMs));
        EXPECT_EQ(next->slice_remaining_ns, sched::kRoundRobinSliceNs);  // refilled for next time
        rq.put_prev(*next);  // expired slice: to the tail
        EXPECT_TRUE(rq.check_invariants());
    }
    EXPECT_EQ(order, (std::vector<SchedEntity*>{&e[0], &e[1], &e[2], &e[0], &e[1], &e[2]}));
    drain(rq);
}

TEST(RunQueue, PreemptedGoesToHeadYieldingGoesToTail) {
    std::array<SchedEntity, 3> e;
    SchedEntity urgent;
    RunQueue rq;
    make_rr(e[0], 10);
    make_rr(e[1], 10);
    make_rr(e[2], 10);
    make_fifo(urgent, 90);
    for (SchedEntity& entity : e) rq.enqueue(entity, EnqueueFlags::Wakeup);

    rq.set_running(rq.pick_next());
    ASSERT_EQ(rq.current(), &e[0]);
    EXPECT_FALSE(rq.account(e[0], 30 * kMs));

    // A better thread wakes: e[0] is preempted and goes back to the head,
    // keeping the 70 ms left of its slice.
    rq.enqueue(urgent, EnqueueFlags::Wakeup);
    EXPECT_TRUE(rq.should_preempt(rq.current(), urgent));
    rq.put_prev(e[0], EnqueueFlags::Head);
    ASSERT_EQ(rq.pick_next(), &urgent);
    rq.set_running(&urgent);
    rq.dequeue(urgent);  // runs, then blocks

    ASSERT_EQ(rq.pick_next(), &e[0]);  // resumes before its peers
    rq.set_running(&e[0]);
    EXPECT_EQ(e[0].slice_remaining_ns, 70 * kMs);

    // Now it yields: tail.
    rq.put_prev(e[0]);
    EXPECT_EQ(rq.pick_next(), &e[1]);
    rq.set_running(&e[1]);
    rq.put_prev(e[1]);
    EXPECT_EQ(rq.pick_next(), &e[2]);
    EXPECT_TRUE(rq.check_invariants());

    // The Head flag also works on enqueue (e.g. a thread migrated while preempted).
    SchedEntity late;
    make_fifo(late, 10);
    rq.enqueue(late, EnqueueFlags::Head);
    EXPECT_EQ(rq.pick_next(), &late);
    drain(rq);
}

TEST(RunQueue, BoostAndUnboostWhileQueued) {
    SchedEntity normal, rt_low, a, b;
    make_normal(normal, 0);
    make_fifo(rt_low, 49);  // prio 50
    make_fifo(a, 39);       // prio 60
    make_fifo(b, 39);
    RunQueue rq;
    rq.enqueue(normal, EnqueueFlags::Initial);
    rq.enqueue(rt_low, EnqueueFlags::Wakeup);
    EXPECT_EQ(rq.pick_next(), &rt_low);
    uint64_t load_before = rq.load();

    // Priority inheritance: a prio-10 thread waits for a lock `normal` holds.
    rq.change_effective_prio(normal, 10);
    EXPECT_EQ(normal.prio, 10);
    EXPECT_EQ(normal.base_prio, 120);
    EXPECT_EQ(rq.pick_next(), &normal);
    EXPECT_EQ(rq.rt_count(), 2u);
    EXPECT_EQ(rq.normal_count(), 0u);
    EXPECT_EQ(rq.load(), 2 * uint64_t{sched::kRealTimeLoadWeight});
    EXPECT_TRUE(rq.check_invariants());

    // Boosted, it runs as FIFO: no slice.
    rq.set_running(&normal);
    EXPECT_FALSE(rq.account(normal, 1000 * kMs));
    EXPECT_EQ(rq.time_slice_ns(normal), sched::kInfiniteSliceNs);
    rq.put_prev(normal, EnqueueFlags::Head);

    // The lock is released: back to the fair class, behind the real-time thread.
    rq.change_effective_prio(normal, normal.base_prio);
    EXPECT_EQ(rq.pick_next(), &rt_low);
    EXPECT_EQ(rq.load(), load_before);
    EXPECT_EQ(rq.rt_count(), 1u);
    EXPECT_TRUE(rq.check_invariants());
    rq.dequeue(rt_low);
    EXPECT_EQ(rq.pick_next(), &normal);

    // Within the real-time range: a boosted entity goes to the tail of its
    // new level, a deboosted one to the head.
    SchedEntity up, down;
    make_fifo(up, 29);    // prio 70
    make_fifo(down, 49);  // prio 50
    rq.enqueue(a);
    rq.enqueue(b);
    rq.enqueue(up);
    rq.enqueue(down);
    rq.change_effective_prio(up, 60);
    rq.change_effective_prio(down, 60);
    EXPECT_TRUE(rq.check_invariants());
    std::vector<SchedEntity*> order;
    for (int i = 0; i < 4; ++i) order.push_back(run_and_exit(rq));
    EXPECT_EQ(order, (std::vector<SchedEntity*>{&down, &a, &b, &up}));

    // Boosting the running entity: it keeps running; put back, it sits at its new level.
    SchedEntity other;
    make_fifo(other, 49);  // prio 50
    rq.enqueue(other);
    rq.set_running(rq.pick_next());
    ASSERT_EQ(rq.current(), &other);
    rq.change_effective_prio(other, 5);
    EXPECT_EQ(rq.current(), &other);
    rq.put_prev(other, EnqueueFlags::Head);
    EXPECT_EQ(rq.pick_next(), &other);
    EXPECT_TRUE(rq.check_invariants());

    // An entity that is not runnable just changes its number.
    SchedEntity sleeper;
    make_normal(sleeper, 0);
    rq.change_effective_prio(sleeper, 20);
    EXPECT_EQ(sleeper.prio, 20);
    EXPECT_EQ(rq.nr_running(), 2u);
    drain(rq);
}

TEST(RunQueue, ReconfigureKeepsABoost) {
    SchedEntity e;
    make_normal(e, 0);
    e.prio = 30;  // as if boosted while asleep (change_effective_prio on a non-runnable entity)
    make_normal(e, 5);
    EXPECT_EQ(e.prio, 30);
    make_fifo(e, 90);  // base prio 9: better than the boost
    EXPECT_EQ(e.prio, 9);
}

TEST(RunQueue, TimeSliceIsTheWeightShareOfThePeriod) {
    RunQueue rq;
    SchedEntity lone;
    make_normal(lone, 0);
    EXPECT_EQ(rq.time_slice_ns(lone), sched::kSchedLatencyNs);  // not runnable yet: as if it joined
    rq.enqueue(lone, EnqueueFlags::Initial);
    EXPECT_EQ(rq.time_slice_ns(lone), sched::kSchedLatencyNs);

    SchedEntity heavy;
    make_normal(heavy, -5);  // 3125
    rq.enqueue(heavy, EnqueueFlags::Initial);
    EXPECT_EQ(rq.time_slice_ns(heavy), sched::kSchedLatencyNs * 3125 / (3125 + 1024));
    EXPECT_EQ(rq.time_slice_ns(lone), sched::kSchedLatencyNs * 1024 / (3125 + 1024));

    // A light thread never gets less than the minimum granularity.
    SchedEntity light;
    make_normal(light, 19);
    rq.enqueue(light, EnqueueFlags::Initial);
    EXPECT_EQ(rq.time_slice_ns(light), sched::kMinGranularityNs);
    drain(rq);

    // More than 8 runnable: the period stretches to 0.75 ms per thread.
    std::array<SchedEntity, 16> many;
    for (SchedEntity& e : many) {
        make_normal(e, 0);
        rq.enqueue(e, EnqueueFlags::Initial);
    }
    EXPECT_EQ(rq.time_slice_ns(many[0]), sched::kMinGranularityNs);  // 16 * 0.75 ms / 16
    drain(rq);

    // A normal entity's slice is set when it starts running and runs out.
    SchedEntity x, y;
    make_normal(x, 0);
    make_normal(y, 0);
    rq.enqueue(x, EnqueueFlags::Initial);
    rq.enqueue(y, EnqueueFlags::Initial);
    rq.set_running(rq.pick_next());
    SchedEntity* running = rq.current();
    EXPECT_EQ(running->slice_remaining_ns, 3 * kMs);
    EXPECT_FALSE(rq.account(*running, 2 * kMs));
    EXPECT_TRUE(rq.account(*running, 1 * kMs));
    drain(rq);
}

TEST(RunQueue, AccountScalesByWeightExactly) {
    RunQueue rq;
    SchedEntity nice0, heavy, idle;
    make_normal(nice0, 0);
    make_normal(heavy, -20);
    make_idle(idle);
    for (SchedEntity* e : {&nice0, &heavy, &idle}) {
        rq.enqueue(*e, EnqueueFlags::Initial);
        rq.set_running(e);
        uint64_t before = e->vruntime;
        rq.account(*e, 3 * kMs + 1);
        EXPECT_EQ(e->vruntime - before, (3 * kMs + 1) * 1024 / e->weight);
        rq.dequeue(*e);
    }
    // 2^60 + 12345 ns: delta * 1024 does not fit in 64 bits, the result
    // does, and must be exact (checked with 128-bit arithmetic here).
    for (SchedEntity* e : {&nice0, &heavy}) {
        rq.enqueue(*e, EnqueueFlags::Initial);
        rq.set_running(e);
        uint64_t before = e->vruntime;
        uint64_t big = (uint64_t{1} << 60) + 12345;
        rq.account(*e, big);
        unsigned __int128 expected = (static_cast<unsigned __int128>(big) * 1024) / e->weight;
        EXPECT_EQ(e->vruntime - before, static_cast<uint64_t>(expected));
        rq.dequeue(*e);
    }
}

// Several CPU-bound normal threads with different nice values, scheduled
// only by what the queue says (pick, run for the slice in 100 us ticks, put
// back) for two simulated minutes: each gets weight / total of the CPU.
TEST(RunQueue, FairSharesFollowTheWeights) {
    const std::vector<int> nices = {-10, -5, 0, 0, 3, 7, 12, 19};
    constexpr uint64_t kTick = 100'000;
    constexpr uint64_t kTotal = 120'000 * kMs;
    std::vector<std::unique_ptr<SchedEntity>> entities;
    RunQueue rq;
    uint64_t total_weight = 0;
    for (int nice : nices) {
        entities.push_back(std::make_unique<SchedEntity>());
        make_normal(*entities.back(), nice);
        rq.enqueue(*entities.back(), EnqueueFlags::Initial);
        total_weight += sched::weight_of_nice(nice);
    }
    EXPECT_EQ(rq.load(), total_weight);
    std::vector<uint64_t> cpu(nices.size(), 0);
    uint64_t previous_min = rq.min_vruntime();
    for (uint64_t now = 0; now < kTotal;) {
        SchedEntity* next = rq.pick_next();
        ASSERT_NE(next, nullptr);
        rq.set_running(next);
        size_t index = 0;
        while (entities[index].get() != next) ++index;
        bool expired = false;
        while (!expired) {
            expired = rq.account(*next, kTick);
            cpu[index] += kTick;
            now += kTick;
        }
        rq.put_prev(*next);
        ASSERT_FALSE(sched::vruntime_before(rq.min_vruntime(), previous_min));
        previous_min = rq.min_vruntime();
    }
    EXPECT_TRUE(rq.check_invariants());
    uint64_t total_cpu = 0;
    for (uint64_t c : cpu) total_cpu += c;
    for (size_t i = 0; i < nices.size(); ++i) {
        double expected = double(sched::weight_of_nice(nices[i])) / double(total_weight);
        double share = double(cpu[i]) / double(total_cpu);
        EXPECT_NEAR(share, expected, 0.02 * expected) << "nice " << nices[i];
    }
    // The virtual clock started just below 2^64 and has wrapped around.
    EXPECT_LT(rq.min_vruntime(), uint64_t{1} << 62);
    drain(rq);
}

// Runs the queue's CPU-bound entities for `duration` in 1 ms slices.
void run_for(RunQueue& rq, uint64_t duration) {
    for (uint64_t elapsed = 0; elapsed < duration; elapsed += kMs) {
        SchedEntity* next = rq.pick_next();
        rq.set_running(next);
        rq.account(*next, kMs);
        rq.put_prev(*next);
    }
}

TEST(RunQueue, WokenSleeperCreditIsBounded) {
    RunQueue rq;
    SchedEntity a, b, long_sleeper, short_sleeper, newcomer;
    make_normal(a, 0);
    make_normal(b, 0);
    make_normal(long_sleeper, 0);
    make_normal(short_sleeper, 0);
    make_normal(newcomer, 0);
    for (SchedEntity* e : {&a, &b, &long_sleeper, &short_sleeper}) rq.enqueue(*e, EnqueueFlags::Initial);
    rq.dequeue(long_sleeper);  // goes to sleep at once
    run_for(rq, 1000 * kMs);   // a, b (and short_sleeper) run for a second

    // The long sleeper is a whole period behind: it gets exactly half a
    // latency of credit, not the second it slept.
    rq.enqueue(long_sleeper, EnqueueFlags::Wakeup);
    EXPECT_EQ(long_sleeper.vruntime, rq.min_vruntime() - sched::kSchedLatencyNs / 2);
    EXPECT_EQ(rq.pick_next(), &long_sleeper);
    EXPECT_TRUE(rq.should_preempt(&a, long_sleeper));

    // A short sleep earns nothing: its vruntime is already above the floor.
    rq.dequeue(short_sleeper);
    uint64_t before = short_sleeper.vruntime;
    ASSERT_FALSE(sched::vruntime_before(before, rq.min_vruntime() - sched::kSchedLatencyNs / 2));
    rq.enqueue(short_sleeper, EnqueueFlags::Wakeup);
    EXPECT_EQ(short_sleeper.vruntime, before);

    // A new thread starts level with the queue.
    rq.enqueue(newcomer, EnqueueFlags::Initial);
    EXPECT_EQ(newcomer.vruntime, rq.min_vruntime());
    EXPECT_TRUE(rq.check_invariants());
    drain(rq);
}

TEST(RunQueue, ShouldPreemptRules) {
    RunQueue rq;
    SchedEntity rt_high, rt_low, rt_peer, normal, woken, idle;
    make_fifo(rt_high, 80);
    make_fifo(rt_low, 20);
    make_rr(rt_peer, 20);
    make_normal(normal, 0);
    make_normal(woken, 0);
    make_idle(idle);

    EXPECT_TRUE(rq.should_preempt(nullptr, idle));  // the idle thread yields to anything
    EXPECT_TRUE(rq.should_preempt(&rt_low, rt_high));
    EXPECT_FALSE(rq.should_preempt(&rt_high, rt_low));
    EXPECT_FALSE(rq.should_preempt(&rt_low, rt_peer));  // same level: FIFO
    EXPECT_TRUE(rq.should_preempt(&normal, rt_low));
    EXPECT_FALSE(rq.should_preempt(&rt_low, normal));

    // Normal vs normal: the runner must be ahead by more than the granularity.
    normal.vruntime = 50 * kMs;
    woken.vruntime = normal.vruntime - sched::kWakeupGranularityNs;
    EXPECT_FALSE(rq.should_preempt(&normal, woken));
    woken.vruntime -= 1;
    EXPECT_TRUE(rq.should_preempt(&normal, woken));
    woken.vruntime = normal.vruntime + 10 * kMs;  // woken is ahead: never
    EXPECT_FALSE(rq.should_preempt(&normal, woken));
    // Across the wrap-around point.
    normal.vruntime = 500'000;
    woken.vruntime = static_cast<uint64_t>(-int64_t{2'000'000});
    EXPECT_TRUE(rq.should_preempt(&normal, woken));

    // SCHED_IDLE: always yields to Normal, never preempts it.
    idle.vruntime = normal.vruntime + 100 * kMs;
    EXPECT_TRUE(rq.should_preempt(&idle, normal));
    idle.vruntime = 0;
    normal.vruntime = 100 * kMs;
    EXPECT_FALSE(rq.should_preempt(&normal, idle));
}

TEST(RunQueue, PickMigratableAndMoveBetweenQueues) {
    RunQueue source, target;
    std::array<SchedEntity, 5> e;
    SchedEntity rt;
    make_fifo(rt, 50);
    source.enqueue(rt);  // waits, but real-time threads are not the fair balancer's business
    for (size_t i = 0; i < e.size(); ++i) {
        make_normal(e[i], 0);
        e[i].vruntime = source.min_vruntime() + i * kMs;
        source.enqueue(e[i]);
    }
    // e[0] (smallest vruntime) runs; the balancer must not be offered it.
    source.set_running(&e[0]);

    // Affinity: only odd entities may run on the target CPU.
    auto allowed = [&](const SchedEntity& candidate) { return (&candidate - &e[0]) % 2 == 1; };
    SchedEntity* victim = source.pick_migratable(allowed);
    EXPECT_EQ(victim, &e[1]);
    EXPECT_EQ(source.pick_migratable([](const SchedEntity&) { return false; }), nullptr);
    int offered = 0;
    source.pick_migratable([&](const SchedEntity& candidate) {
        EXPECT_NE(&candidate, &e[0]);
        EXPECT_FALSE(candidate.is_real_time());
        ++offered;
        return false;
    });
    EXPECT_EQ(offered, 4);

    // Migrate: the lag behind min_vruntime travels, not the absolute value.
    SchedEntity resident;
    make_normal(resident, 0);
    target.enqueue(resident, EnqueueFlags::Initial);
    target.set_running(&resident);
    target.account(resident, 777 * kMs);
    target.put_prev(resident);
    int64_t lag = static_cast<int64_t>(victim->vruntime - source.min_vruntime());
    uint64_t source_load = source.load();
    source.dequeue(*victim, DequeueFlags::Migrating);
    target.enqueue(*victim, EnqueueFlags::Migrated);
    EXPECT_EQ(static_cast<int64_t>(victim->vruntime - target.min_vruntime()), lag);
    EXPECT_EQ(source.load(), source_load - 1024);
    EXPECT_EQ(target.nr_running(), 2u);
    EXPECT_TRUE(source.check_invariants());
    EXPECT_TRUE(target.check_invariants());
    drain(source);
    drain(target);
}

// 10,000 random operations against a simple model: which entities are
// runnable, the FIFO order of each real-time level, and which one runs.
TEST(RunQueue, RandomOperationsKeepInvariants) {
    constexpr int kEntities = 40;
    constexpr int kSteps = 10'000;
    std::mt19937 random(2024);
    auto entities = std::make_unique<SchedEntity[]>(kEntities);
    const int rt_priorities[] = {1, 2, 50, 98, 99};  // prios 98, 97, 49, 1, 0: both bitmap words
    for (int i = 0; i < kEntities; ++i) {
        SchedEntity& e = entities[i];
        switch (random() % 4) {
        case 0: make_fifo(e, rt_priorities[random() % 5]); break;
        case 1: make_rr(e, rt_priorities[random() % 5]); break;
        case 2: make_idle(e, static_cast<int>(random() % 40) - 20); break;
        default: make_normal(e, static_cast<int>(random() % 40) - 20); break;
        }
    }
    enum class State { Sleeping, Waiting, Running };
    std::vector<State> state(kEntities, State::Sleeping);
    std::deque<int> levels[sched::kRealTimeLevels];
    RunQueue rq;
    int running = -1;
    auto index_of = [&](const SchedEntity* e) { return static_cast<int>(e - &entities[0]); };
    auto model_remove_waiting = [&](int i) {
        if (entities[i].is_real_time()) {
            auto& level = levels[entities[i].prio];
            auto where = std::find(level.begin(), level.end(), i);
            ASSERT_NE(where, level.end());
            level.erase(where);
        }
    };
    auto model_insert_waiting = [&](int i, bool head) {
        if (entities[i].is_real_time()) {
            if (head)
                levels[entities[i].prio].push_front(i);
            else
                levels[entities[i].prio].push_back(i);
        }
    };
    auto pick_random = [&](State wanted) {
        std::vector<int> candidates;
        for (int i = 0; i < kEntities; ++i)
            if (state[i] == wanted) candidates.push_back(i);
        return candidates.empty() ? -1 : candidates[random() % candidates.size()];
    };

    uint64_t previous_min = rq.min_vruntime();
    for (int step = 0; step < kSteps; ++step) {
        switch (random() % 7) {
        case 0:
        case 1: {  // wake up
            int i = pick_random(State::Sleeping);
            if (i < 0) break;
            static const EnqueueFlags kFlags[] = {EnqueueFlags::Wakeup, EnqueueFlags::Initial, EnqueueFlags::None,
                                                  EnqueueFlags::Head | EnqueueFlags::Wakeup};
            EnqueueFlags flags = kFlags[random() % 4];
            rq.enqueue(entities[i], flags);
            model_insert_waiting(i, sched::has_flag(flags, EnqueueFlags::Head));
            state[i] = State::Waiting;
            break;
        }
        case 2: {  // a waiting or the running entity goes to sleep
            int i = pick_random(random() % 3 == 0 ? State::Running : State::Waiting);
            if (i < 0) break;
            if (state[i] == State::Waiting) model_remove_waiting(i);
            if (i == running) running = -1;
            rq.dequeue(entities[i]);
            state[i] = State::Sleeping;
            break;
        }
        case 3:
        case 4: {  // schedule(): put the running one back, pick the next
            if (running >= 0) {
                rq.account(entities[running], random() % (5 * kMs));
                bool head = random() % 2;
                rq.put_prev(entities[running], head ? EnqueueFlags::Head : EnqueueFlags::None);
                model_insert_waiting(running, head);
                state[running] = State::Waiting;
                running = -1;
            }
            SchedEntity* next = rq.pick_next();
            if (next) {
                running = index_of(next);
                model_remove_waiting(running);
                state[running] = State::Running;
            }
            rq.set_running(next);
            break;
        }
        case 5: {  // the running entity runs for a while
            if (running >= 0) rq.account(entities[running], random() % (20 * kMs));
            break;
        }
        default: {  // boost or unboost anyone
            int i = static_cast<int>(random() % kEntities);
            int old_prio = entities[i].prio;
            int new_prio = random() % 2 ? entities[i].base_prio : static_cast<int>(random() % sched::kPriorityLevels);
            // A waiting entity moves (unless the prio stays the same): boosted
            // to the tail of its new level, deboosted to the head.
            bool moves = state[i] == State::Waiting && new_prio != old_prio;
            if (moves) model_remove_waiting(i);
            rq.change_effective_prio(entities[i], new_prio);
            if (moves) model_insert_waiting(i, /*head=*/new_prio > old_prio);
            break;
        }
        }

        ASSERT_TRUE(rq.check_invariants()) << "step " << step;
        size_t waiting = 0, rt = 0, normal = 0;
        uint64_t load = 0;
        for (int i = 0; i < kEntities; ++i) {
            if (state[i] == State::Sleeping) {
                ASSERT_FALSE(entities[i].on_queue);
                continue;
            }
            ASSERT_TRUE(entities[i].on_queue);
            if (state[i] == State::Waiting) ++waiting;
            if (entities[i].is_real_time()) {
                ++rt;
                load += sched::kRealTimeLoadWeight;
            } else {
                ++normal;
                load += entities[i].weight;
            }
        }
        ASSERT_EQ(rq.nr_running(), rt + normal);
        ASSERT_EQ(rq.rt_count(), rt);
        ASSERT_EQ(rq.normal_count(), normal);
        ASSERT_EQ(rq.load(), load);
        ASSERT_EQ(rq.current(), running >= 0 ? &entities[running] : nullptr);

        // What the queue would pick, from the model.
        const SchedEntity* expected = nullptr;
        for (auto& level : levels) {
            if (!level.empty()) {
                expected = &entities[level.front()];
                break;
            }
        }
        const SchedEntity* picked = rq.pick_next();
        if (expected) {
            ASSERT_EQ(picked, expected) << "step " << step;
        } else if (waiting > 0) {
            ASSERT_NE(picked, nullptr);
            ASSERT_FALSE(picked->is_real_time());
            for (int i = 0; i < kEntities; ++i) {
                if (state[i] == State::Waiting) {
                    ASSERT_FALSE(sched::vruntime_before(entities[i].vruntime, picked->vruntime)) << "step " << step;
                }
            }
        } else {
            ASSERT_EQ(picked, nullptr);
        }
        ASSERT_FALSE(sched::vruntime_before(rq.min_vruntime(), previous_min)) << "min_vruntime went backwards";
        previous_min = rq.min_vruntime();
    }
}

}  // namespace
