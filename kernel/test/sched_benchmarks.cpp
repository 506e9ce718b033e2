// Scheduler, interrupt and SMP costs. Under `make bench` (-icount, one CPU)
// the single-CPU ones are instruction counts; the cross-CPU ones need two
// CPUs and run in the second, plain-TCG pass (wall-clock TSC cycles).
#include "arch/x86_64/cpu.h"
#include "kernel/cpu.h"
#include "kernel/sched/scheduler.h"
#include "kernel/smp_call.h"
#include "kernel/sync/guards.h"
#include "kernel/sync/wait_queue.h"
#include "kernel/test/kbench.h"
#include "kernel/time/clock.h"

namespace {

using sched::Policy;

sched::ThreadOptions pinned(const char* name, unsigned cpu) {
    return sched::ThreadOptions{.name = name, .policy = Policy::Fifo, .priority = 50,
                                .affinity = k::CpuMask::only(cpu), .detached = false};
}

struct SampleBuffer {
    uint64_t* samples;
    unsigned count;
};

volatile bool stop_partner;

}  // namespace

// Two FIFO threads of equal priority on one CPU yielding to each other: a
// yield round trip is two context switches; the sample is one switch.
KBENCH_SAMPLED(kthread_ctx_switch) {
    static SampleBuffer buffer;
    buffer = SampleBuffer{samples, count};
    stop_partner = false;
    // A coordinator above both creates them: neither runs until it blocks
    // in join, so the two start together (on one CPU, a real-time thread
    // that yields only ever yields to its peers: a normal-priority creator
    // would never run again).
    auto coordinator = [](void*) {
        const unsigned cpu = kernel::this_cpu()->arch.index;
        auto partner = sched::thread_create([](void*) { while (!stop_partner) sched::yield(); }, nullptr,
                                            pinned("partner", cpu));
        auto driver = sched::thread_create(
            [](void*) {
                for (unsigned i = 0; i < 64; ++i) sched::yield();
                for (unsigned i = 0; i < buffer.count; ++i) {
                    uint64_t start = arch::read_tsc();
                    sched::yield();
                    buffer.samples[i] = (arch::read_tsc() - start) / 2;
                }
                stop_partner = true;
            },
            nullptr, pinned("driver", cpu));
        if (driver.ok()) sched::thread_join(driver.value());
        stop_partner = true;
        if (partner.ok()) sched::thread_join(partner.value());
    };
    sched::ThreadOptions options = pinned("coordinator", kernel::cpu_count() - 1);
    options.priority = 60;
    auto t = sched::thread_create(coordinator, nullptr, options);
    if (!t.ok()) return 0;
    sched::thread_join(t.value());
    return count;
}

// A thread sleeping until an absolute time: TSC cycles from the deadline to
// the thread running again (timer interrupt, expiry, wake-up, switch).
// Reported as median, and separately its p99 and maximum.
namespace {
uint64_t timer_latency[1001];
unsigned timer_latency_count;
void measure_timer_latency() {
    static bool done = false;
    if (done) return;
    done = true;
    auto t = sched::thread_create(
        [](void*) {
            for (unsigned i = 0; i < 1001; ++i) {
                uint64_t deadline = ktime::monotonic_ns() + 50000;  // 50 us
                sched::sleep_until(deadline);
                uint64_t late_ns = ktime::monotonic_ns() - deadline;
                timer_latency[i] = ktime::ns_to_tsc_delta(late_ns);
            }
            timer_latency_count = 1001;
        },
        nullptr, pinned("sleeper", kernel::cpu_count() - 1));
    if (t.ok()) sched::thread_join(t.value());
}
unsigned copy_sorted_latency(uint64_t* samples, unsigned count) {
    measure_timer_latency();
    unsigned n = timer_latency_count < count ? timer_latency_count : count;
    for (unsigned i = 0; i < n; ++i) samples[i] = timer_latency[i];
    return n;
}
}  // namespace

KBENCH_SAMPLED(timer_irq_to_thread) { return copy_sorted_latency(samples, count); }

// The same samples' tail: every entry set to the p99 (or the maximum), so
// the BENCH line's median shows it.
KBENCH_SAMPLED(timer_irq_to_thread_p99) {
    unsigned n = copy_sorted_latency(samples, count);
    for (unsigned i = 1; i < n; ++i) {  // insertion sort: 1001 entries, once
        uint64_t v = samples[i];
        unsigned j = i;
        for (; j > 0 && samples[j - 1] > v; --j) samples[j] = samples[j - 1];
        samples[j] = v;
    }
    uint64_t p99 = samples[n * 99 / 100];
    for (unsigned i = 0; i < n; ++i) samples[i] = p99;
    return n;
}

KBENCH_SAMPLED(timer_irq_to_thread_max) {
    unsigned n = copy_sorted_latency(samples, count);
    uint64_t max = 0;
    for (unsigned i = 0; i < n; ++i) max = samples[i] > max ? samples[i] : max;
    for (unsigned i = 0; i < n; ++i) samples[i] = max;
    return n;
}

// An empty function run on another CPU through an IPI, waiting for it.
KBENCH_SAMPLED(ipi_roundtrip) {
    if (kernel::cpu_count() < 2) return 0;
    kernel::PreemptDisabled preempt;  // stay on one CPU while sampling
    for (unsigned i = 0; i < count; ++i) {
        const unsigned self = kernel::this_cpu()->arch.index;
        const unsigned other = self == 0 ? 1 : 0;
        uint64_t start = arch::read_tsc();
        kernel::call_on_cpu(other, [](void*) {}, nullptr);
        samples[i] = arch::read_tsc() - start;
    }
    return count;
}

// A thread on one CPU wakes a thread waiting on another: cycles from the
// wake_all() call to the woken thread running.
KBENCH_SAMPLED(wakeup_xcpu) {
    if (kernel::cpu_count() < 2) return 0;
    static ksync::WaitQueue queue;
    static volatile uint64_t round, woke_at;
    round = 0;
    auto waiter = sched::thread_create(
        [](void* n) {
            for (uint64_t r = 1; r <= reinterpret_cast<uint64_t>(n); ++r) {
                queue.wait_until([r] { return round >= r; });
                woke_at = arch::read_tsc();
            }
        },
        reinterpret_cast<void*>(static_cast<uint64_t>(count)), pinned("waiter", 1));
    static SampleBuffer buffer;
    buffer = SampleBuffer{samples, count};
    auto waker = sched::thread_create(
        [](void*) {
            for (unsigned i = 0; i < buffer.count; ++i) {
                while (queue.has_waiters() == false) sched::yield();
                woke_at = 0;
                uint64_t start = arch::read_tsc();
                round = round + 1;
                queue.wake_all();
                while (woke_at == 0) arch::pause();
                buffer.samples[i] = woke_at - start;
            }
        },
        nullptr, pinned("waker", 0));
    if (!waiter.ok() || !waker.ok()) return 0;
    sched::thread_join(waker.value());
    sched::thread_join(waiter.value());
    return count;
}
