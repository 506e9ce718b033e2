// The scheduler on real CPUs: threads run and are reaped, priorities and
// policies order them as promised, nice values share a CPU fairly, affinity
// holds, sleeps and time-outs end on time.
#include "kernel/boot_info.h"
#include "kernel/cpu.h"
#include "kernel/mm/physical_memory.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sync/wait_queue.h"
#include "kernel/test/ktest.h"
#include "kernel/time/clock.h"

namespace {

using sched::Policy;
using sched::Thread;
using sched::ThreadOptions;

constexpr uint64_t kMs = 1000000;

ThreadOptions options(const char* name, Policy policy, int priority, k::CpuMask affinity = k::CpuMask::all()) {
    return ThreadOptions{.name = name, .policy = policy, .priority = priority, .affinity = affinity, .detached = false};
}

void spin_for_ns(uint64_t ns) {
    uint64_t end = ktime::monotonic_ns() + ns;
    while (ktime::monotonic_ns() < end) {
    }
}

// The CPU the test pins its threads to: the last one, away from the boot
// CPU's housekeeping.
unsigned test_cpu() { return kernel::cpu_count() - 1; }

}  // namespace

KTEST(sched, threads_run_and_are_joined) {
    static uint64_t counters[8];
    Thread* threads[8];
    for (int i = 0; i < 8; ++i) {
        counters[i] = 0;
        auto t = sched::thread_create([](void* arg) { *static_cast<uint64_t*>(arg) += 1000; }, &counters[i],
                                      options("worker", Policy::Normal, 0));
        KASSERT(t.ok());
        threads[i] = t.value();
    }
    for (Thread* t : threads) sched::thread_join(t);
    for (uint64_t c : counters) KEXPECT_EQ(c, 1000);
}

// On one CPU, a FIFO conductor at priority 90 makes three FIFO threads
// (10, 30, 20) runnable, then blocks: they must run 30, 20, 10.
KTEST(sched, strict_priority_order) {
    struct Log {
        int order[3];
        int count;
    };
    static Log log;
    log = Log{};
    struct Conductor {
        static void run(void*) {
            const k::CpuMask here = k::CpuMask::only(test_cpu());
            Thread* workers[3];
            const int priorities[3] = {10, 30, 20};
            for (int i = 0; i < 3; ++i) {
                auto t = sched::thread_create(
                    [](void* arg) { log.order[log.count++] = static_cast<int>(reinterpret_cast<intptr_t>(arg)); },
                    reinterpret_cast<void*>(static_cast<intptr_t>(priorities[i])),
                    options("prio", Policy::Fifo, priorities[i], here));
                workers[i] = t.ok() ? t.value() : nullptr;
            }
            // None of them may have run yet: we outrank them on this CPU.
            if (log.count != 0) log.order[0] = -1;
            for (Thread* w : workers) {
                if (w != nullptr) sched::thread_join(w);
            }
        }
    };
    auto conductor = sched::thread_create(Conductor::run, nullptr,
                                          options("conductor", Policy::Fifo, 90, k::CpuMask::only(test_cpu())));
    KASSERT(conductor.ok());
    sched::thread_join(conductor.value());
    KEXPECT_EQ(log.count, 3);
    KEXPECT_EQ(log.order[0], 30);
    KEXPECT_EQ(log.order[1], 20);
    KEXPECT_EQ(log.order[2], 10);
}

// Two busy threads at the same real-time priority on one CPU: FIFO runs
// one to completion before the other starts; round-robin takes turns at
// each 100 ms slice.
namespace {
struct Turns {
    volatile uint64_t first_start[2];
    volatile uint64_t finish[2];
};
Turns turns;
void busy_worker(void* arg) {
    int me = static_cast<int>(reinterpret_cast<intptr_t>(arg));
    turns.first_start[me] = ktime::monotonic_ns();
    spin_for_ns(250 * kMs);
    turns.finish[me] = ktime::monotonic_ns();
}
bool overlapped(Policy policy) {
    turns = Turns{};
    const k::CpuMask here = k::CpuMask::only(test_cpu());
    struct Args {
        Policy policy;
        k::CpuMask here;
    } args{policy, here};
    // A high-priority starter makes both runnable at once.
    auto starter = sched::thread_create(
        [](void* a) {
            auto args = static_cast<Args*>(a);
            Thread* w0 = sched::thread_create(busy_worker, reinterpret_cast<void*>(0), options("w0", args->policy, 10, args->here)).value();
            Thread* w1 = sched::thread_create(busy_worker, reinterpret_cast<void*>(1), options("w1", args->policy, 10, args->here)).value();
            sched::thread_join(w0);
            sched::thread_join(w1);
        },
        &args, options("starter", Policy::Fifo, 50, here));
    sched::thread_join(starter.value());
    // Overlap: the second started before the first finished.
    return turns.first_start[1] < turns.finish[0];
}
}  // namespace

KTEST(sched, fifo_runs_to_completion_round_robin_takes_turns) {
    KEXPECT(!overlapped(Policy::Fifo));
    KEXPECT(overlapped(Policy::RoundRobin));
}

// nice 0 (weight 1024) against nice 5 (weight 335) on one CPU: the CPU time
// must split about 3.06 : 1.
KTEST(sched, nice_values_share_the_cpu_fairly) {
    static volatile bool stop;
    stop = false;
    auto spin = [](void*) {
        while (!stop) {
        }
    };
    const k::CpuMask here = k::CpuMask::only(test_cpu());
    auto a = sched::thread_create(spin, nullptr, options("nice0", Policy::Normal, 0, here));
    auto b = sched::thread_create(spin, nullptr, options("nice5", Policy::Normal, 5, here));
    KASSERT(a.ok() && b.ok());
    sched::sleep_ns(600 * kMs);
    stop = true;
    const uint64_t run_a = a.value()->runtime_ns, run_b = b.value()->runtime_ns;
    sched::thread_join(a.value());
    sched::thread_join(b.value());
    KASSERT(run_b > 0);
    // ratio x100, expected ~306; allow 20%.
    const uint64_t ratio = run_a * 100 / run_b;
    KEXPECT(ratio > 245 && ratio < 367);
    if (!(ratio > 245 && ratio < 367)) ktest_context.fail(__FILE__, __LINE__, "ratio %lu/100 (a=%lu b=%lu ns)", ratio, run_a, run_b);
}

KTEST(sched, affinity_is_respected_and_can_change) {
    if (kernel::cpu_count() < 2) KSKIP("needs two CPUs");
    static volatile unsigned seen_mask;
    static volatile bool done;
    seen_mask = 0;
    done = false;
    auto t = sched::thread_create(
        [](void*) {
            while (!done) {
                seen_mask = seen_mask | (1u << (kernel::this_cpu()->arch.index & 31));
                sched::yield();
            }
        },
        nullptr, options("pinned", Policy::Normal, 0, k::CpuMask::only(0)));
    KASSERT(t.ok());
    sched::sleep_ns(20 * kMs);
    KEXPECT_EQ(seen_mask, 1u);
    KASSERT(sched::set_affinity(t.value(), k::CpuMask::only(1)).ok());
    // It moves at its next pass through the scheduler: wait until it has
    // run on CPU 1 (bounded); from then on it may only ever run there.
    seen_mask = 0;
    const uint64_t give_up = ktime::monotonic_ns() + 2000 * kMs;
    while (!(seen_mask & 2u) && ktime::monotonic_ns() < give_up) sched::sleep_ns(1 * kMs);
    KEXPECT(seen_mask & 2u);
    seen_mask = 0;
    sched::sleep_ns(20 * kMs);
    KEXPECT_EQ(seen_mask, 2u);
    done = true;
    sched::thread_join(t.value());
    KEXPECT(sched::set_affinity(sched::current_thread(), k::CpuMask()).error() == k::Errno::einval);
}

KTEST(sched, sleep_and_timeouts_are_on_time) {
    // Not early, and not much late (TCG on a loaded host: allow 40 ms).
    const uint64_t durations_ms[] = {1, 5, 20};
    for (uint64_t ms : durations_ms) {
        uint64_t start = ktime::monotonic_ns();
        sched::sleep_ns(ms * kMs);
        uint64_t slept = ktime::monotonic_ns() - start;
        KEXPECT(slept >= ms * kMs);
        KEXPECT(slept < ms * kMs + 40 * kMs);
    }
    static ksync::WaitQueue never;
    uint64_t start = ktime::monotonic_ns();
    bool woke = never.wait_until([] { return false; }, start + 10 * kMs);
    uint64_t waited = ktime::monotonic_ns() - start;
    KEXPECT(!woke);
    KEXPECT(waited >= 10 * kMs && waited < 50 * kMs);
}

KTEST(sched, wait_queue_wakes_across_cpus) {
    static ksync::WaitQueue queue;
    static volatile int stage;
    stage = 0;
    auto t = sched::thread_create(
        [](void*) {
            for (int round = 0; round < 200; ++round) {
                queue.wait_until([round] { return stage == 2 * round + 1; });
                stage = 2 * round + 2;
                queue.wake_all();
            }
        },
        nullptr, options("pong", Policy::Normal, 0, k::CpuMask::only(test_cpu())));
    KASSERT(t.ok());
    bool ok = true;
    for (int round = 0; round < 200 && ok; ++round) {
        stage = 2 * round + 1;
        queue.wake_all();
        ok = queue.wait_until([round] { return stage == 2 * round + 2; }, ktime::monotonic_ns() + 2000 * kMs);
    }
    KEXPECT(ok);
    KEXPECT_EQ(stage, 400);
    sched::thread_join(t.value());
}

// Thousands of threads, joined and detached: every frame and heap object
// comes back.
KTEST(sched, thousands_of_threads_without_leaks) {
    auto batch = [](int count, bool detached) {
        static Thread* threads[100];
        for (int i = 0; i < count; ++i) {
            ThreadOptions o = options("many", Policy::Normal, 0);
            o.detached = detached;
            auto t = sched::thread_create([](void*) {}, nullptr, o);
            threads[i] = t.ok() ? t.value() : nullptr;
        }
        if (!detached) {
            for (int i = 0; i < count; ++i) {
                if (threads[i] != nullptr) sched::thread_join(threads[i]);
            }
        }
    };
    batch(100, false);  // warm the slab caches
    const uint64_t alive_before = sched::scheduler_stats().threads_alive;
    const uint64_t free_before = mm::memory_stats().free_frames;
    for (int i = 0; i < 20; ++i) batch(100, false);
    for (int i = 0; i < 10; ++i) batch(100, true);
    const uint64_t deadline = ktime::monotonic_ns() + 5000 * kMs;
    while (sched::scheduler_stats().threads_alive > alive_before && ktime::monotonic_ns() < deadline) {
        sched::sleep_ns(1 * kMs);
    }
    KEXPECT_EQ(sched::scheduler_stats().threads_alive, alive_before);
    // Slab caches may keep one empty slab each; allow those few frames.
    const uint64_t free_after = mm::memory_stats().free_frames;
    KEXPECT(free_after + 64 >= free_before);
    if (free_after + 64 < free_before) ktest_context.fail(__FILE__, __LINE__, "lost %lu frames", free_before - free_after);
}

// Making a better thread runnable on one's own CPU preempts at once, by
// creation or by wake-up: the lower-priority thread spins, waiting for the
// better one to have run, which only preemption can make happen.
namespace {
volatile bool better_ran;
bool spin_until_better_ran() {
    const uint64_t end = ktime::monotonic_ns() + 200 * kMs;
    while (!better_ran) {
        if (ktime::monotonic_ns() > end) return false;
    }
    return true;
}
}  // namespace

KTEST(sched, a_better_thread_created_here_preempts_at_once) {
    static volatile bool result;
    better_ran = false;
    result = false;
    auto low = sched::thread_create(
        [](void*) {
            auto better = sched::thread_create([](void*) { better_ran = true; }, nullptr,
                                               options("better", Policy::Fifo, 50, k::CpuMask::only(test_cpu())));
            result = spin_until_better_ran();
            if (better.ok()) sched::thread_join(better.value());
        },
        nullptr, options("low", Policy::Fifo, 10, k::CpuMask::only(test_cpu())));
    KASSERT(low.ok());
    sched::thread_join(low.value());
    KEXPECT(result);
}

KTEST(sched, a_better_thread_woken_here_preempts_at_once) {
    static ksync::WaitQueue queue;
    static volatile bool go, result;
    better_ran = false;
    go = false;
    result = false;
    auto better = sched::thread_create(
        [](void*) {
            queue.wait_until([] { return go; });
            better_ran = true;
        },
        nullptr, options("better", Policy::Fifo, 50, k::CpuMask::only(test_cpu())));
    KASSERT(better.ok());
    while (!queue.has_waiters()) sched::sleep_ns(1 * kMs);
    auto low = sched::thread_create(
        [](void*) {
            go = true;
            queue.wake_all();
            result = spin_until_better_ran();
        },
        nullptr, options("low", Policy::Fifo, 10, k::CpuMask::only(test_cpu())));
    KASSERT(low.ok());
    sched::thread_join(low.value());
    sched::thread_join(better.value());
    KEXPECT(result);
}

// Normal threads piled on one CPU spread out: once allowed everywhere, the
// busy CPU's slice ends kick idle CPUs, which pull threads over.
KTEST(sched, busy_cpus_shed_normal_threads_to_idle_ones) {
    if (kernel::cpu_count() < 2) KSKIP("needs two CPUs");
    static volatile bool stop;
    static volatile uint32_t cpus_used[4];
    stop = false;
    Thread* threads[4];
    for (int i = 0; i < 4; ++i) {
        cpus_used[i] = 0;
        auto t = sched::thread_create(
            [](void* arg) {
                auto slot = static_cast<volatile uint32_t*>(arg);
                while (!stop) *slot = *slot | (1u << (kernel::this_cpu()->arch.index & 31));
            },
            const_cast<uint32_t*>(&cpus_used[i]), options("piled", Policy::Normal, 0, k::CpuMask::only(0)));
        KASSERT(t.ok());
        threads[i] = t.value();
    }
    for (Thread* t : threads) KASSERT(sched::set_affinity(t, k::CpuMask::all()).ok());
    sched::sleep_ns(300 * kMs);
    stop = true;
    uint32_t all = 0;
    for (int i = 0; i < 4; ++i) all |= cpus_used[i];
    for (Thread* t : threads) sched::thread_join(t);
    // At least one thread moved off CPU 0.
    KEXPECT(all & ~1u);
}

// Stress, bounded by operation count: threads on every CPU wake each other
// through wait queues with and without time-outs, yield, sleep, and have
// their affinity and priority changed under them. Passes if every thread
// finishes its rounds (no lost wake-up, no hang, no corrupted queue: the
// run queues VERIFY their own invariants) and the token count adds up.
KTEST(sched, stress_wakeups_migrations_and_priority_changes) {
    constexpr int kThreads = 8;
    constexpr int kRounds = 400;
    static ksync::WaitQueue queue;
    static volatile uint64_t tokens;
    static volatile uint64_t finished;
    static Thread* threads[kThreads];
    tokens = 0;
    finished = 0;
    struct Worker {
        static void run(void* arg) {
            const uint64_t me = reinterpret_cast<uint64_t>(arg);
            uint64_t seed = me * 0x9e3779b97f4a7c15ull + 1;
            for (int round = 0; round < kRounds; ++round) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                switch ((seed >> 33) % 6) {
                    case 0:  // wait (with a time-out, so nobody hangs if everyone waits)
                        queue.wait_until([] { return tokens % 3 == 0; }, ktime::monotonic_ns() + 2 * kMs);
                        break;
                    case 1:
                        __atomic_fetch_add(&tokens, 1, __ATOMIC_RELAXED);
                        queue.wake_all();
                        break;
                    case 2:
                        sched::yield();
                        break;
                    case 3: {
                        Thread* other = threads[(seed >> 40) % kThreads];
                        unsigned cpu = static_cast<unsigned>((seed >> 20) % kernel::cpu_count());
                        if (other != nullptr) (void)sched::set_affinity(other, (seed & 1) ? k::CpuMask::all() : k::CpuMask::only(cpu));
                        break;
                    }
                    case 4: {
                        Thread* other = threads[(seed >> 44) % kThreads];
                        if (other != nullptr) (void)sched::set_scheduling(other, Policy::Normal, static_cast<int>((seed >> 50) % 10));
                        break;
                    }
                    default:
                        sched::sleep_ns(((seed >> 36) % 200) * 1000);
                        queue.wake_one();
                        break;
                }
            }
            __atomic_fetch_add(&finished, 1, __ATOMIC_RELAXED);
            queue.wake_all();
        }
    };
    for (int i = 0; i < kThreads; ++i) threads[i] = nullptr;
    for (int i = 0; i < kThreads; ++i) {
        auto t = sched::thread_create(Worker::run, reinterpret_cast<void*>(static_cast<uint64_t>(i)),
                                      options("stress", Policy::Normal, 0));
        KASSERT(t.ok());
        __atomic_store_n(&threads[i], t.value(), __ATOMIC_RELEASE);
    }
    bool all_done = queue.wait_until([] { return finished == kThreads; }, ktime::monotonic_ns() + 60000 * kMs);
    KEXPECT(all_done);
    for (int i = 0; i < kThreads; ++i) {
        Thread* t = threads[i];
        __atomic_store_n(&threads[i], static_cast<Thread*>(nullptr), __ATOMIC_RELEASE);
        if (all_done) sched::thread_join(t);
    }
}
