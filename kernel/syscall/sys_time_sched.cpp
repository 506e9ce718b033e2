// Time and scheduling system calls.
#include "kernel/cpu.h"
#include "kernel/mm/user_access.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal_delivery.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sync/guards.h"
#include "kernel/sync/wait_queue.h"
#include "kernel/syscall/syscall.h"
#include "kernel/time/clock.h"

namespace syscall {

namespace {

struct TimeSpec {
    int64_t seconds;
    int64_t nanoseconds;
};
constexpr uint64_t kNsPerSecond = 1000000000;
constexpr int kClockRealtime = 0, kClockMonotonic = 1, kClockProcessCputime = 2, kClockThreadCputime = 3,
              kClockMonotonicRaw = 4, kClockRealtimeCoarse = 5, kClockMonotonicCoarse = 6, kClockBoottime = 7;

// The realtime clock: boot time is the epoch plus this (no RTC driver yet:
// 2026-01-01T00:00:00Z, so dates look plausible).
constexpr uint64_t kBootEpochSeconds = 1767225600;

k::Result<uint64_t> clock_now(int clock) {
    switch (clock) {
        case kClockRealtime:
        case kClockRealtimeCoarse: return ktime::monotonic_ns() + kBootEpochSeconds * kNsPerSecond;
        case kClockMonotonic:
        case kClockMonotonicRaw:
        case kClockMonotonicCoarse:
        case kClockBoottime: return ktime::monotonic_ns();
        case kClockProcessCputime:
        case kClockThreadCputime: {
            sched::Thread* thread = sched::current_thread();
            return thread->runtime_ns + (ktime::monotonic_ns() - thread->started_running_ns);
        }
        default: return k::error(k::Errno::einval);
    }
}

k::Result<uint64_t> read_timespec(uint64_t user) {
    const TimeSpec spec = TRY(mm::get_user<TimeSpec>(user));
    if (spec.seconds < 0 || spec.nanoseconds < 0 || spec.nanoseconds >= static_cast<int64_t>(kNsPerSecond)) {
        return k::error(k::Errno::einval);
    }
    if (static_cast<uint64_t>(spec.seconds) > (~uint64_t{0} - kNsPerSecond) / kNsPerSecond) return ~uint64_t{0} >> 1;
    return static_cast<uint64_t>(spec.seconds) * kNsPerSecond + static_cast<uint64_t>(spec.nanoseconds);
}

k::Result<void> write_timespec(uint64_t user, uint64_t ns) {
    const TimeSpec spec{static_cast<int64_t>(ns / kNsPerSecond), static_cast<int64_t>(ns % kNsPerSecond)};
    return mm::put_user(user, spec);
}

// Sleeps until `deadline` (monotonic) or a signal: EINTR with the time left.
int64_t sleep_until(uint64_t deadline, uint64_t user_remaining) {
    proc::UserThread* self = proc::current_user_thread();
    ksync::WaitQueue sleepers;
    sleepers.wait_until([self] { return proc::signal_pending(*self); }, deadline);
    if (proc::signal_pending(*self)) {
        const uint64_t now = ktime::monotonic_ns();
        if (user_remaining != 0) (void)write_timespec(user_remaining, deadline > now ? deadline - now : 0);
        return fail(k::Errno::eintr);
    }
    return 0;
}

constexpr int kSchedOther = 0, kSchedFifo = 1, kSchedRr = 2, kSchedBatch = 3, kSchedIdle = 5;

k::Result<sched::Thread*> target_thread(int pid) {
    if (pid < 0) return k::error(k::Errno::einval);
    if (pid == 0) return sched::current_thread();
    kernel::IrqSaveGuard irq;
    ksync::SpinLockGuard guard(proc::tree_lock());
    proc::UserThread* thread = proc::find_thread(pid);
    if (thread == nullptr || thread->exiting) return k::error(k::Errno::esrch);
    return thread->thread;
}

int policy_number(const sched::Thread& thread) {
    switch (thread.entity.policy) {
        case sched::Policy::Fifo: return kSchedFifo;
        case sched::Policy::RoundRobin: return kSchedRr;
        case sched::Policy::Idle: return kSchedIdle;
        default: return kSchedOther;
    }
}

int rt_priority_of(const sched::Thread& thread) {
    return sched::is_real_time_prio(thread.entity.base_prio) ? sched::kRealTimeLevels - 1 - thread.entity.base_prio
                                                              : 0;
}

int64_t set_scheduler(int pid, int policy, uint64_t user_param, bool keep_policy) {
    if (user_param == 0) return fail(k::Errno::einval);
    auto priority = mm::get_user<int32_t>(user_param);
    if (!priority.ok()) return fail(priority.error());
    auto thread = target_thread(pid);
    if (!thread.ok()) return fail(thread.error());
    if (keep_policy) policy = policy_number(*thread.value());
    policy &= ~0x40000000;  // SCHED_RESET_ON_FORK: accepted, not kept
    switch (policy) {
        case kSchedOther:
        case kSchedBatch:
        case kSchedIdle:
            if (priority.value() != 0) return fail(k::Errno::einval);
            return result_of(sched::set_scheduling(thread.value(),
                                                   policy == kSchedIdle ? sched::Policy::Idle : sched::Policy::Normal,
                                                   thread.value()->entity.nice));
        case kSchedFifo:
        case kSchedRr:
            if (priority.value() < sched::kMinRtPriority || priority.value() > sched::kMaxRtPriority) {
                return fail(k::Errno::einval);
            }
            return result_of(sched::set_scheduling(
                thread.value(), policy == kSchedFifo ? sched::Policy::Fifo : sched::Policy::RoundRobin,
                priority.value()));
        default: return fail(k::Errno::einval);
    }
}

}  // namespace

int64_t sys_clock_gettime(const Args& a, arch::InterruptFrame&) {
    auto now = clock_now(static_cast<int>(a.a0));
    if (!now.ok()) return fail(now.error());
    return result_of(write_timespec(a.a1, now.value()));
}

int64_t sys_clock_getres(const Args& a, arch::InterruptFrame&) {
    if (!clock_now(static_cast<int>(a.a0)).ok()) return fail(k::Errno::einval);
    if (a.a1 == 0) return 0;
    return result_of(write_timespec(a.a1, 1));
}

int64_t sys_gettimeofday(const Args& a, arch::InterruptFrame&) {
    if (a.a0 != 0) {
        const uint64_t now = clock_now(kClockRealtime).value();
        const int64_t timeval[2] = {static_cast<int64_t>(now / kNsPerSecond),
                                    static_cast<int64_t>((now % kNsPerSecond) / 1000)};
        if (auto put = mm::copy_to_user(a.a0, timeval, sizeof timeval); !put.ok()) return fail(put.error());
    }
    if (a.a1 != 0) {
        const int32_t timezone[2] = {0, 0};
        if (auto put = mm::copy_to_user(a.a1, timezone, sizeof timezone); !put.ok()) return fail(put.error());
    }
    return 0;
}

int64_t sys_nanosleep(const Args& a, arch::InterruptFrame&) {
    auto duration = read_timespec(a.a0);
    if (!duration.ok()) return fail(duration.error());
    return sleep_until(ktime::monotonic_ns() + duration.value(), a.a1);
}

int64_t sys_clock_nanosleep(const Args& a, arch::InterruptFrame&) {
    const int clock = static_cast<int>(a.a0);
    const int flags = static_cast<int>(a.a1);
    constexpr int kTimerAbstime = 1;
    if (clock == kClockThreadCputime) return fail(k::Errno::einval);
    if (!clock_now(clock).ok()) return fail(k::Errno::einval);
    if (flags & ~kTimerAbstime) return fail(k::Errno::einval);
    auto value = read_timespec(a.a2);
    if (!value.ok()) return fail(value.error());
    const uint64_t now = ktime::monotonic_ns();
    uint64_t deadline;
    if (flags & kTimerAbstime) {
        const uint64_t clock_time = clock_now(clock).value();
        deadline = value.value() > clock_time ? now + (value.value() - clock_time) : now;
    } else {
        deadline = now + value.value();
    }
    // clock_nanosleep returns the error number itself, not -1/errno; the
    // C library turns our -errno into that. The remaining time is only
    // reported for relative sleeps.
    return sleep_until(deadline, (flags & kTimerAbstime) ? 0 : a.a3);
}

int64_t sys_sched_yield(const Args&, arch::InterruptFrame&) {
    sched::yield();
    return 0;
}

int64_t sys_sched_setscheduler(const Args& a, arch::InterruptFrame&) {
    return set_scheduler(static_cast<int>(a.a0), static_cast<int>(a.a1), a.a2, false);
}
int64_t sys_sched_setparam(const Args& a, arch::InterruptFrame&) {
    return set_scheduler(static_cast<int>(a.a0), 0, a.a1, true);
}
int64_t sys_sched_getscheduler(const Args& a, arch::InterruptFrame&) {
    auto thread = target_thread(static_cast<int>(a.a0));
    if (!thread.ok()) return fail(thread.error());
    return policy_number(*thread.value());
}
int64_t sys_sched_getparam(const Args& a, arch::InterruptFrame&) {
    if (a.a1 == 0) return fail(k::Errno::einval);
    auto thread = target_thread(static_cast<int>(a.a0));
    if (!thread.ok()) return fail(thread.error());
    return result_of(mm::put_user<int32_t>(a.a1, rt_priority_of(*thread.value())));
}
int64_t sys_sched_get_priority_max(const Args& a, arch::InterruptFrame&) {
    switch (static_cast<int>(a.a0)) {
        case kSchedFifo:
        case kSchedRr: return sched::kMaxRtPriority;
        case kSchedOther:
        case kSchedBatch:
        case kSchedIdle: return 0;
        default: return fail(k::Errno::einval);
    }
}
int64_t sys_sched_get_priority_min(const Args& a, arch::InterruptFrame&) {
    switch (static_cast<int>(a.a0)) {
        case kSchedFifo:
        case kSchedRr: return sched::kMinRtPriority;
        case kSchedOther:
        case kSchedBatch:
        case kSchedIdle: return 0;
        default: return fail(k::Errno::einval);
    }
}
int64_t sys_sched_rr_get_interval(const Args& a, arch::InterruptFrame&) {
    auto thread = target_thread(static_cast<int>(a.a0));
    if (!thread.ok()) return fail(thread.error());
    return result_of(write_timespec(a.a1, thread.value()->entity.policy == sched::Policy::RoundRobin ? 100000000 : 0));
}

int64_t sys_sched_setaffinity(const Args& a, arch::InterruptFrame&) {
    auto thread = target_thread(static_cast<int>(a.a0));
    if (!thread.ok()) return fail(thread.error());
    const size_t bytes = a.a1 < sizeof(k::CpuMask) ? a.a1 : sizeof(k::CpuMask);
    uint8_t raw[sizeof(k::CpuMask)] = {};
    if (auto copied = mm::copy_from_user(raw, a.a2, bytes); !copied.ok()) return fail(copied.error());
    k::CpuMask mask{};
    for (unsigned cpu = 0; cpu < bytes * 8; ++cpu) {
        if (raw[cpu / 8] & (1u << (cpu % 8))) mask.set(cpu);
    }
    // Only CPUs that exist count; none left is EINVAL (sched_setaffinity(2)).
    k::CpuMask online{};
    for (unsigned cpu = 0; cpu < kernel::cpu_count(); ++cpu) {
        if (mask.has(cpu)) online.set(cpu);
    }
    if (online.empty()) return fail(k::Errno::einval);
    return result_of(sched::set_affinity(thread.value(), online));
}

int64_t sys_sched_getaffinity(const Args& a, arch::InterruptFrame&) {
    auto thread = target_thread(static_cast<int>(a.a0));
    if (!thread.ok()) return fail(thread.error());
    const unsigned cpus = kernel::cpu_count();
    // The result is in units of unsigned long; too small a buffer is EINVAL.
    const size_t needed = ((cpus + 63) / 64) * 8;
    if (a.a1 < needed || (a.a1 & 7) != 0) return fail(k::Errno::einval);
    uint8_t raw[sizeof(k::CpuMask)] = {};
    for (unsigned cpu = 0; cpu < cpus; ++cpu) {
        if (thread.value()->affinity.has(cpu)) raw[cpu / 8] |= static_cast<uint8_t>(1u << (cpu % 8));
    }
    if (auto copied = mm::copy_to_user(a.a2, raw, needed); !copied.ok()) return fail(copied.error());
    return static_cast<int64_t>(needed);
}

}  // namespace syscall
