#pragma once
// The scheduling state of one thread: what a RunQueue needs to know to order
// it against the others. A Thread embeds one SchedEntity; the run queue only
// ever sees the entity (it never looks at the rest of the thread).
//
// Priorities use Linux's internal numbering, 0..139, where a SMALLER number
// runs FIRST:
//
//   prio   0 ..  99   real time (SCHED_FIFO, SCHED_RR). At the system-call
//                     boundary a real-time priority p = 1..99 means "higher
//                     runs first", so prio = 99 - p: p 99 -> prio 0.
//   prio 100 .. 139   normal (SCHED_OTHER, SCHED_IDLE): nice -20..19 -> 100..139.
//
// Real-time levels are strict: a runnable thread at a smaller prio always
// runs before one at a larger prio. Among normal threads prio does NOT decide
// who runs; their nice value picks a load weight (nice_weights.h) and the fair
// class shares the CPU in proportion to the weights.
//
// Two priorities are kept: base_prio is what the thread asked for
// (sched_setscheduler/nice); prio is the effective one, equal to base_prio
// except while priority inheritance boosts the thread because a
// higher-priority thread waits for a lock it holds. A normal thread boosted
// into 0..99 is scheduled as a FIFO real-time thread for the duration.
#include <stddef.h>
#include <stdint.h>

#include "kernel/sched/nice_weights.h"
#include "libk/list.h"
#include "libk/rbtree.h"
#include "libk/result.h"

namespace sched {

enum class Policy : uint8_t {
    Normal,      // SCHED_OTHER: fair share by weight
    Fifo,        // SCHED_FIFO: runs until it blocks, yields or a higher prio preempts it
    RoundRobin,  // SCHED_RR: FIFO plus a time slice, after which it goes behind its peers
    Idle,        // SCHED_IDLE: fair class with a tiny weight; never preempts a Normal thread
};

inline constexpr int kRealTimeLevels = 100;  // prio 0..99
inline constexpr int kPriorityLevels = 140;  // prio 0..139
inline constexpr int kMinRtPriority = 1;     // user-visible SCHED_FIFO/RR priorities
inline constexpr int kMaxRtPriority = 99;
inline constexpr int kNiceZeroPrio = 120;

constexpr int prio_of_rt_priority(int rt_priority) { return kRealTimeLevels - 1 - rt_priority; }
constexpr int prio_of_nice(int nice) { return kNiceZeroPrio + nice; }
constexpr bool is_real_time_prio(int prio) { return prio < kRealTimeLevels; }

static_assert(prio_of_rt_priority(kMaxRtPriority) == 0);
static_assert(prio_of_nice(kMinNice) == kRealTimeLevels && prio_of_nice(kMaxNice) == kPriorityLevels - 1);

struct SchedEntity {
    SchedEntity() = default;
    SchedEntity(const SchedEntity&) = delete;
    SchedEntity& operator=(const SchedEntity&) = delete;

    // Set through configure_normal()/configure_real_time(), never directly.
    Policy policy = Policy::Normal;
    int8_t nice = 0;
    uint8_t base_prio = kNiceZeroPrio;
    // Effective priority; changed by RunQueue::change_effective_prio() while
    // the entity is queued, so the queue can move it.
    uint8_t prio = kNiceZeroPrio;
    // Load weight from the nice value (kIdlePolicyWeight for Policy::Idle).
    uint32_t weight = kNiceZeroWeight;

    // Virtual run time (fair class): nanoseconds of CPU received, scaled by
    // kNiceZeroWeight / weight, so a heavier thread's clock runs slower. The
    // fair class always runs the entity with the smallest vruntime.
    // Compared with wrap-around arithmetic (see vruntime_before()).
    uint64_t vruntime = 0;
    // What is left of the current time slice: refilled for a round-robin
    // thread when it runs out, for a normal thread each time it is picked.
    uint64_t slice_remaining_ns = 0;

    // Owned by the RunQueue. A waiting entity sits in exactly one of these:
    // the fair tree (normal class) or the list of its real-time level.
    k::RbNode tree_node;
    k::ListNode list_node;
    // Runnable on a RunQueue: waiting in it or running from it (Linux's on_rq).
    bool on_queue = false;

    bool is_real_time() const { return is_real_time_prio(prio); }
};

// True if vruntime a is earlier than b. Virtual clocks are unsigned and may
// wrap around (RunQueue starts min_vruntime just below 2^64 on purpose, so
// the wrap happens in every test rather than after years of uptime): the
// signed difference orders any two values less than 2^63 apart, which
// entities on one queue always are (RFC 1982 "serial number arithmetic").
constexpr bool vruntime_before(uint64_t a, uint64_t b) { return static_cast<int64_t>(a - b) < 0; }

// Makes `entity` a normal (or, with `idle`, a SCHED_IDLE) thread with the
// given nice value. The entity must not be on a run queue: take it off (or
// put it back) around the change so the queue's load sums stay right.
// A priority-inheritance boost in force is kept: the effective priority
// becomes the better of the new base and the boost.
inline k::Result<void> configure_normal(SchedEntity& entity, int nice, bool idle = false) {
    if (!is_valid_nice(nice)) return k::error(k::Errno::einval);
    VERIFY(!entity.on_queue);
    bool boosted = entity.prio < entity.base_prio;
    entity.policy = idle ? Policy::Idle : Policy::Normal;
    entity.nice = static_cast<int8_t>(nice);
    entity.weight = idle ? kIdlePolicyWeight : weight_of_nice(nice);
    entity.base_prio = static_cast<uint8_t>(prio_of_nice(nice));
    entity.prio = boosted && entity.prio < entity.base_prio ? entity.prio : entity.base_prio;
    return {};
}

// Makes `entity` a SCHED_FIFO or SCHED_RR thread with the user-visible
// real-time priority 1..99. Same rules as configure_normal().
inline k::Result<void> configure_real_time(SchedEntity& entity, Policy policy, int rt_priority) {
    if (policy != Policy::Fifo && policy != Policy::RoundRobin) return k::error(k::Errno::einval);
    if (rt_priority < kMinRtPriority || rt_priority > kMaxRtPriority) return k::error(k::Errno::einval);
    VERIFY(!entity.on_queue);
    bool boosted = entity.prio < entity.base_prio;
    entity.policy = policy;
    entity.base_prio = static_cast<uint8_t>(prio_of_rt_priority(rt_priority));
    entity.prio = boosted && entity.prio < entity.base_prio ? entity.prio : entity.base_prio;
    entity.slice_remaining_ns = 0;  // a fresh round-robin slice when it next runs
    return {};
}

}  // namespace sched
