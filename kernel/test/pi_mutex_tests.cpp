// Priority inheritance on real CPUs: the inversion scenario with and without
// inheritance, chains, deadlock detection, time-outs while boosted, and a
// torture run on every CPU.
#include "kernel/cpu.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sync/mutex.h"
#include "kernel/sync/pi_mutex.h"
#include "kernel/test/ktest.h"
#include "kernel/time/clock.h"

namespace {

using sched::Policy;
using sched::Thread;

constexpr uint64_t kMs = 1000000;

sched::ThreadOptions fifo(const char* name, int priority, k::CpuMask affinity) {
    return sched::ThreadOptions{.name = name, .policy = Policy::Fifo, .priority = priority, .affinity = affinity,
                                .detached = false};
}

void spin_for_ns(uint64_t ns) {
    const uint64_t end = ktime::monotonic_ns() + ns;
    while (ktime::monotonic_ns() < end) {
    }
}

// The classic inversion. L (rt 10) holds the lock and needs 20 ms more of
// CPU to finish; H (rt 90) wants the lock; M (rt 50) spins for 300 ms on
// L's CPU. With inheritance L runs at H's priority, finishes, and H waits
// about 20 ms; without, M keeps L off the CPU and H waits for M.
struct Scenario {
    bool use_pi;
    unsigned low_cpu;   // L and M
    unsigned high_cpu;  // H
    ksync::PiMutex pi_mutex;
    ksync::Mutex plain_mutex;
    volatile bool low_has_lock;
    volatile uint64_t high_waited_ns;
    volatile uint64_t high_acquired_at, medium_done_at;
    volatile int low_prio_while_boosted;
};
Scenario scenario;

void lock_it() {
    if (scenario.use_pi) {
        (void)scenario.pi_mutex.lock();
    } else {
        scenario.plain_mutex.lock();
    }
}
void unlock_it() {
    if (scenario.use_pi) {
        scenario.pi_mutex.unlock();
    } else {
        scenario.plain_mutex.unlock();
    }
}

uint64_t run_inversion(bool use_pi, unsigned low_cpu, unsigned high_cpu) {
    scenario.use_pi = use_pi;
    scenario.low_cpu = low_cpu;
    scenario.high_cpu = high_cpu;
    scenario.low_has_lock = false;
    scenario.high_waited_ns = 0;
    scenario.high_acquired_at = 0;
    scenario.medium_done_at = 0;
    scenario.low_prio_while_boosted = -1;
    auto conductor = [](void*) {
        auto low = sched::thread_create([](void*) {
            lock_it();
            scenario.low_has_lock = true;
            spin_for_ns(10 * kMs);                  // before H arrives
            spin_for_ns(20 * kMs);                  // the part H has to wait for
            scenario.low_prio_while_boosted = sched::current_thread()->entity.prio;
            unlock_it();
        }, nullptr, fifo("low", 10, k::CpuMask::only(scenario.low_cpu)));
        while (!scenario.low_has_lock) sched::sleep_ns(1 * kMs);
        auto medium = sched::thread_create([](void*) {
            spin_for_ns(300 * kMs);
            scenario.medium_done_at = ktime::monotonic_ns();
        }, nullptr,
                                           fifo("medium", 50, k::CpuMask::only(scenario.low_cpu)));
        auto high = sched::thread_create([](void*) {
            const uint64_t start = ktime::monotonic_ns();
            lock_it();
            scenario.high_acquired_at = ktime::monotonic_ns();
            scenario.high_waited_ns = scenario.high_acquired_at - start;
            unlock_it();
        }, nullptr, fifo("high", 90, k::CpuMask::only(scenario.high_cpu)));
        if (high.ok()) sched::thread_join(high.value());
        if (medium.ok()) sched::thread_join(medium.value());
        if (low.ok()) sched::thread_join(low.value());
    };
    // The conductor outranks all three on both CPUs.
    k::CpuMask both = k::CpuMask::only(low_cpu);
    both.set(high_cpu);
    auto t = sched::thread_create(conductor, nullptr, fifo("conductor", 99, both));
    if (!t.ok()) return 0;
    sched::thread_join(t.value());
    return scenario.high_waited_ns;
}

}  // namespace

KTEST(pi_mutex, inversion_on_one_cpu_with_and_without_inheritance) {
    const unsigned cpu = kernel::cpu_count() - 1;
    const uint64_t with_pi = run_inversion(true, cpu, cpu);
    KEXPECT(with_pi < 200 * kMs);
    KEXPECT_EQ(scenario.low_prio_while_boosted, 99 - 90);  // L ran at H's priority
    const bool with_pi_before_medium = scenario.high_acquired_at < scenario.medium_done_at;
    KEXPECT(with_pi_before_medium);  // H got the lock while M still spun
    const uint64_t without_pi = run_inversion(false, cpu, cpu);
    KEXPECT(scenario.high_acquired_at >= scenario.medium_done_at);  // H waited for M: the inversion
    if (!with_pi_before_medium || scenario.high_acquired_at < scenario.medium_done_at) {
        ktest_context.fail(__FILE__, __LINE__, "with PI %lu ms, without %lu ms", with_pi / kMs, without_pi / kMs);
    }
}

KTEST(pi_mutex, inversion_across_cpus_with_and_without_inheritance) {
    if (kernel::cpu_count() < 2) KSKIP("needs two CPUs");
    const uint64_t with_pi = run_inversion(true, 1, 0);
    KEXPECT(with_pi < 200 * kMs);
    const bool with_pi_before_medium = scenario.high_acquired_at < scenario.medium_done_at;
    KEXPECT(with_pi_before_medium);
    const uint64_t without_pi = run_inversion(false, 1, 0);
    KEXPECT(scenario.high_acquired_at >= scenario.medium_done_at);
    if (!with_pi_before_medium || scenario.high_acquired_at < scenario.medium_done_at) {
        ktest_context.fail(__FILE__, __LINE__, "with PI %lu ms, without %lu ms", with_pi / kMs, without_pi / kMs);
    }
}

// A chain across three locks and CPUs: T1 (rt 10) holds A; T2 (rt 20) holds
// B and waits for A; T3 (rt 30) holds C and waits for B; T4 (rt 80) waits
// for C. T1 must run at 80 (three hops), and every priority returns to its
// base once the locks are released.
KTEST(pi_mutex, boost_follows_a_chain_of_three_locks_and_unwinds) {
    static ksync::PiMutex a, b, c;
    static volatile int stage;
    static volatile int t1_boosted_prio;
    stage = 0;
    t1_boosted_prio = -1;
    const k::CpuMask any = k::CpuMask::all();
    auto wait_for_stage = [](int wanted) {
        while (stage < wanted) sched::sleep_ns(1 * kMs);
        sched::sleep_ns(3 * kMs);  // the thread that set it is now blocked
    };
    auto one = sched::thread_create([](void*) {
        (void)a.lock();
        stage = 1;
        while (stage < 4) sched::sleep_ns(1 * kMs);
        sched::sleep_ns(5 * kMs);  // let T4 block on C
        t1_boosted_prio = sched::current_thread()->entity.prio;
        a.unlock();
    }, nullptr, fifo("t1", 10, any));
    KASSERT(one.ok());
    wait_for_stage(1);
    auto two = sched::thread_create([](void*) {
        (void)b.lock();
        stage = 2;
        (void)a.lock();
        a.unlock();
        b.unlock();
    }, nullptr, fifo("t2", 20, any));
    KASSERT(two.ok());
    wait_for_stage(2);
    auto three = sched::thread_create([](void*) {
        (void)c.lock();
        stage = 3;
        (void)b.lock();
        b.unlock();
        c.unlock();
    }, nullptr, fifo("t3", 30, any));
    KASSERT(three.ok());
    wait_for_stage(3);
    auto four = sched::thread_create([](void*) {
        stage = 4;
        (void)c.lock();
        c.unlock();
    }, nullptr, fifo("t4", 80, any));
    KASSERT(four.ok());
    sched::thread_join(four.value());
    sched::thread_join(three.value());
    sched::thread_join(two.value());
    const int t1_base = one.value()->entity.base_prio;
    const int t1_after = one.value()->entity.prio;
    sched::thread_join(one.value());
    KEXPECT_EQ(t1_boosted_prio, 99 - 80);
    KEXPECT_EQ(t1_after, t1_base);
}

KTEST(pi_mutex, deadlock_is_reported_not_hung) {
    static ksync::PiMutex a, b;
    static volatile int stage;
    stage = 0;
    KEXPECT(a.lock().ok());
    KEXPECT(a.lock().error() == k::Errno::edeadlk);  // recursive
    auto other = sched::thread_create([](void*) {
        (void)b.lock();
        stage = 1;
        (void)a.lock();  // waits for us
        a.unlock();
        b.unlock();
    }, nullptr, sched::ThreadOptions{.name = "other", .policy = Policy::Normal, .priority = 0,
                                     .affinity = k::CpuMask::all(), .detached = false});
    KASSERT(other.ok());
    while (stage < 1) sched::sleep_ns(1 * kMs);
    sched::sleep_ns(5 * kMs);  // it is blocked on A now
    auto r = b.lock(ktime::monotonic_ns() + 1000 * kMs);
    KEXPECT(!r.ok() && r.error() == k::Errno::edeadlk);
    a.unlock();
    sched::thread_join(other.value());
}

// A time-out while the owner is boosted: the owner's priority drops back.
KTEST(pi_mutex, time_out_while_boosted_unboosts_the_owner) {
    static ksync::PiMutex m;
    static volatile bool release;
    static volatile int prio_during, prio_after;
    release = false;
    auto owner = sched::thread_create([](void*) {
        (void)m.lock();
        while (!release) sched::sleep_ns(1 * kMs);
        m.unlock();
    }, nullptr, fifo("owner", 10, k::CpuMask::all()));
    KASSERT(owner.ok());
    while (m.owner() == nullptr) sched::sleep_ns(1 * kMs);
    static uint64_t deadline;
    deadline = ktime::monotonic_ns() + 1000 * kMs;
    auto waiter = sched::thread_create([](void*) {
        auto r = m.lock(deadline);
        prio_after = r.ok() ? -2 : (r.error() == k::Errno::etimedout ? 0 : -3);
    }, nullptr, fifo("waiter", 70, k::CpuMask::all()));
    KASSERT(waiter.ok());
    // Watch for the boost (well before the waiter's deadline, even on a
    // loaded host where guest time runs in jumps).
    prio_during = owner.value()->entity.prio;
    while (prio_during != 99 - 70 && ktime::monotonic_ns() < deadline - 200 * kMs) {
        sched::sleep_ns(1 * kMs);
        prio_during = owner.value()->entity.prio;
    }
    sched::thread_join(waiter.value());
    const int after = owner.value()->entity.prio;
    release = true;
    sched::thread_join(owner.value());
    KEXPECT_EQ(prio_during, 99 - 70);
    KEXPECT_EQ(prio_after, 0);
    KEXPECT_EQ(after, 99 - 10);
}

// Torture, bounded by operation count: threads of mixed priorities on every
// CPU take random pairs of PI mutexes in a fixed order (no deadlock), hold
// them for random short times, and check mutual exclusion; at the end every
// thread is back at its base priority.
KTEST(pi_mutex, torture_mutual_exclusion_and_priorities_restored) {
    constexpr int kMutexes = 4, kThreads = 8, kRounds = 300;
    static ksync::PiMutex mutexes[kMutexes];
    static volatile int holders[kMutexes];
    static volatile int violations;
    static Thread* threads[kThreads];
    violations = 0;
    for (auto& h : holders) h = 0;
    for (int i = 0; i < kThreads; ++i) {
        auto t = sched::thread_create([](void* arg) {
            uint64_t seed = reinterpret_cast<uint64_t>(arg) * 2654435761u + 7;
            for (int r = 0; r < kRounds; ++r) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                int first = static_cast<int>((seed >> 33) % kMutexes);
                int second = static_cast<int>((seed >> 40) % kMutexes);
                if (second < first) { int tmp = first; first = second; second = tmp; }
                (void)mutexes[first].lock();
                if (second != first) (void)mutexes[second].lock();
                if (__atomic_add_fetch(&holders[first], 1, __ATOMIC_ACQ_REL) != 1) __atomic_add_fetch(&violations, 1, __ATOMIC_RELAXED);
                if (second != first && __atomic_add_fetch(&holders[second], 1, __ATOMIC_ACQ_REL) != 1) __atomic_add_fetch(&violations, 1, __ATOMIC_RELAXED);
                spin_for_ns(((seed >> 50) % 50) * 1000);
                if (second != first) __atomic_sub_fetch(&holders[second], 1, __ATOMIC_ACQ_REL);
                __atomic_sub_fetch(&holders[first], 1, __ATOMIC_ACQ_REL);
                if (second != first) mutexes[second].unlock();
                mutexes[first].unlock();
                if ((seed >> 20) % 8 == 0) sched::yield();
            }
        }, reinterpret_cast<void*>(static_cast<uint64_t>(i + 1)),
           i % 2 == 0 ? fifo("torture-rt", 10 + i * 5, k::CpuMask::all())
                      : sched::ThreadOptions{.name = "torture", .policy = Policy::Normal, .priority = i - 4,
                                             .affinity = k::CpuMask::all(), .detached = false});
        KASSERT(t.ok());
        threads[i] = t.value();
    }
    bool restored = true;
    for (Thread* t : threads) {
        // Joined threads are freed: read the priorities while it runs out.
        while (sched::load_state(*t) != sched::ThreadState::Dead) sched::sleep_ns(2 * kMs);
        restored &= t->entity.prio == t->entity.base_prio;
        sched::thread_join(t);
    }
    KEXPECT_EQ(violations, 0);
    KEXPECT(restored);
    for (auto& m : mutexes) KEXPECT(m.owner() == nullptr);
}
