#pragma once
// One CPU's run queue: the runnable threads of that CPU and the rule that
// picks which one runs next.
//
// Two classes, tried in order:
//   real time (prio 0..99): one FIFO list per level plus a 100-bit bitmap of
//       the non-empty levels. The best level is the lowest set bit, found
//       with two count-trailing-zeros instructions: constant time however
//       many threads wait (the "O(1) scheduler" idea, Linux 2.6.0).
//   fair (prio 100..139): a red-black tree ordered by virtual run time; the
//       leftmost entity (cached, O(1)) has received the least weighted CPU
//       time and runs next. That is the idea of Linux's Completely Fair
//       Scheduler (2.6.23): whoever is furthest behind its fair share goes
//       first, and the share is proportional to the load weight.
// Nothing runnable: pick_next() returns nullptr and the CPU runs its idle
// thread, which is never on the queue.
//
// The running entity is NOT in the list or tree: running takes it out
// (set_running) and stopping puts it back (put_prev), at the head or the tail
// of its level. It still counts as runnable (nr_running, load, on_queue).
// The kernel's schedule() drives it like this:
//
//   wake-up:          rq.enqueue(e, EnqueueFlags::Wakeup)   (Initial for a new thread)
//   timer tick:       if (rq.account(*cur, ns_since_last_account)) set need-resched
//   wake-up of w:     if (rq.should_preempt(cur, w)) set need-resched
//   schedule():       rq.account(*prev, ...);
//                     if prev blocks or exits: rq.dequeue(*prev)
//                     else: rq.put_prev(*prev, involuntary ? Head : None)
//                     next = rq.pick_next(); rq.set_running(next)  (nullptr: idle)
//
// "involuntary" is a real-time thread preempted by a better one: it goes back
// to the head of its level, so it resumes before its peers; a thread that
// yields, or whose round-robin slice ran out, goes to the tail. For normal
// threads head/tail means nothing: the vruntime decides.
//
// No locking here: the kernel holds the run queue's lock around every call.
#include <stddef.h>
#include <stdint.h>

#include "kernel/sched/sched_entity.h"
#include "libk/list.h"
#include "libk/rbtree.h"

namespace sched {

enum class EnqueueFlags : uint8_t {
    None = 0,
    // Waking from sleep: a normal entity is placed at no less than
    // min_vruntime - kSchedLatencyNs / 2, so a long sleeper gets a bounded
    // head start (half a latency period) instead of its whole absence, and a
    // short sleeper keeps its own vruntime (no gain from sleeping briefly).
    Wakeup = 1 << 0,
    // Real time: go to the head of the level, not the tail (a preempted thread).
    Head = 1 << 1,
    // A new thread: starts at min_vruntime, level with the others.
    Initial = 1 << 2,
    // Arrives from another CPU's queue, dequeued with DequeueFlags::Migrating:
    // its vruntime is relative to that queue's min_vruntime; rebase it here.
    Migrated = 1 << 3,
};

enum class DequeueFlags : uint8_t {
    None = 0,
    // Leaves for another CPU: make the vruntime relative to this queue's
    // min_vruntime (virtual clocks of different queues are unrelated).
    Migrating = 1 << 0,
};

constexpr EnqueueFlags operator|(EnqueueFlags a, EnqueueFlags b) {
    return static_cast<EnqueueFlags>(static_cast<uint8_t>(a) | static_cast<uint8_t>(b));
}
constexpr bool has_flag(EnqueueFlags set, EnqueueFlags flag) {
    return (static_cast<uint8_t>(set) & static_cast<uint8_t>(flag)) != 0;
}
constexpr bool has_flag(DequeueFlags set, DequeueFlags flag) {
    return (static_cast<uint8_t>(set) & static_cast<uint8_t>(flag)) != 0;
}

// Tunables, Linux's defaults for one CPU.
// The fair class aims to run every runnable normal thread once per latency
// period; with more than kSchedLatencyNs / kMinGranularityNs (8) threads the
// period stretches instead, so no slice drops below the minimum granularity
// (switching more often than that would cost more than it buys).
inline constexpr uint64_t kSchedLatencyNs = 6'000'000;
inline constexpr uint64_t kMinGranularityNs = 750'000;
// A waking normal thread preempts the running one only if the runner is
// ahead by more than this (in the woken thread's virtual time): without a
// margin two threads ping-ponging wake-ups would switch on every wake-up.
inline constexpr uint64_t kWakeupGranularityNs = 1'000'000;
// SCHED_RR time slice (Linux: RR_TIMESLICE, 100 ms).
inline constexpr uint64_t kRoundRobinSliceNs = 100'000'000;
// A SCHED_FIFO thread has no time slice.
inline constexpr uint64_t kInfiniteSliceNs = UINT64_MAX;
// How much a runnable real-time thread weighs in load(): as much as the
// heaviest normal thread, since it takes the CPU from all of them.
inline constexpr uint32_t kRealTimeLoadWeight = weight_of_nice(kMinNice);

class RunQueue {
public:
    RunQueue() = default;
    RunQueue(const RunQueue&) = delete;
    RunQueue& operator=(const RunQueue&) = delete;

    // Makes `entity` runnable here. It must not be runnable anywhere.
    void enqueue(SchedEntity& entity, EnqueueFlags flags = EnqueueFlags::None);
    // Makes a runnable entity (waiting, or the running one) not runnable.
    void dequeue(SchedEntity& entity, DequeueFlags flags = DequeueFlags::None);

    // The entity that should run next, or nullptr when nothing waits: the
    // head of the best real-time level, else the normal entity with the
    // smallest vruntime. Constant time. Does not change the queue.
    SchedEntity* pick_next() const;

    // `entity` (waiting here; normally pick_next()) starts running: it leaves
    // the list/tree and becomes current(). nullptr: the CPU goes idle. The
    // previous current must have been put back or dequeued. Refills a normal
    // entity's slice (time_slice_ns) and an exhausted round-robin slice.
    void set_running(SchedEntity* entity);
    // The running entity stops but stays runnable: back into its list (at
    // the head with EnqueueFlags::Head) or the tree.
    void put_prev(SchedEntity& entity, EnqueueFlags flags = EnqueueFlags::None);
    SchedEntity* current() const { return current_; }

    // Charges `delta_ns` of CPU time to the running entity. Normal class:
    // vruntime += delta_ns * 1024 / weight (exact integer math, no overflow),
    // and min_vruntime moves forward. Returns true when the entity's time
    // slice is used up and the CPU should reschedule (never for FIFO). An
    // exhausted round-robin slice is refilled here; put the entity back at
    // the tail so its peers get their turn.
    bool account(SchedEntity& entity, uint64_t delta_ns);

    // Should the woken entity preempt `current` (nullptr: the idle thread)?
    // A better real-time level always preempts, and real time preempts
    // normal; equal real-time levels never do (FIFO). Between normal entities:
    // when the running one's vruntime is ahead of the woken one's by more
    // than the wake-up granularity; SCHED_IDLE ones always yield to Normal
    // ones and never preempt them. Account the current entity first.
    bool should_preempt(const SchedEntity* current, const SchedEntity& woken) const;

    // The time `entity` may run before the next scheduling decision: FIFO
    // kInfiniteSliceNs, round robin kRoundRobinSliceNs, normal its weight's
    // share of the scheduling period (at least kMinGranularityNs). For an
    // entity that is not runnable (on_queue false), the share it would get
    // if it joined this queue.
    uint64_t time_slice_ns(const SchedEntity& entity) const;

    // Moves `entity` to effective priority `new_prio` (0..139), also between
    // the classes. Used by priority inheritance to boost and unboost. If the
    // entity waits here, it is requeued: a boosted entity goes to the tail of
    // its new level, a deboosted one to the head (it was entitled to run at
    // the better level, so it goes first among its new peers). An entity
    // coming back to the fair class is placed as on wake-up (bounded credit).
    // For an entity that is not runnable, only its prio changes.
    void change_effective_prio(SchedEntity& entity, int new_prio);

    // Runnable entities, the running one included.
    size_t nr_running() const { return nr_running_; }
    size_t rt_count() const { return rt_count_; }
    size_t normal_count() const { return normal_count_; }
    // Sum of the load weights of the runnable entities (real-time ones count
    // kRealTimeLoadWeight): what the load balancer compares between CPUs.
    uint64_t load() const { return normal_load_ + rt_count_ * uint64_t{kRealTimeLoadWeight}; }
    // Never moves backwards (in vruntime_before() order).
    uint64_t min_vruntime() const { return min_vruntime_; }

    // For the load balancer: the first waiting normal entity, in vruntime
    // order, for which can_move(const SchedEntity&) is true (the caller's
    // affinity and cache-hotness policy, e.g. "allowed on the target CPU").
    // The running entity is never offered. Leftmost first: it has waited
    // longest, so its cache footprint is the most likely to be gone anyway.
    // The caller then dequeues it with DequeueFlags::Migrating and enqueues it
    // on the target with EnqueueFlags::Migrated.
    template <typename Predicate> SchedEntity* pick_migratable(Predicate&& can_move) {
        for (SchedEntity& candidate : fair_tree_)
            if (can_move(static_cast<const SchedEntity&>(candidate))) return &candidate;
        return nullptr;
    }

    // Walks everything and checks every invariant: counts and load sums,
    // bitmap bits against non-empty lists, each waiting entity in exactly the
    // right list or the tree, the tree's red-black and order invariants.
    // O(n log n); for tests and debug builds.
    bool check_invariants() const;

private:
    struct ByVruntime {
        bool operator()(const SchedEntity& a, const SchedEntity& b) const {
            return vruntime_before(a.vruntime, b.vruntime);
        }
    };
    using LevelList = k::List<SchedEntity, &SchedEntity::list_node>;
    using FairTree = k::RbTree<SchedEntity, &SchedEntity::tree_node, ByVruntime>;

    // The list/tree part: waiting entities only.
    void insert_waiting(SchedEntity& entity, bool at_head);
    void remove_waiting(SchedEntity& entity);
    // The counting part: all runnable entities.
    void count_in(const SchedEntity& entity);
    void count_out(const SchedEntity& entity);
    void place_woken(SchedEntity& entity) const;
    void update_min_vruntime();

    LevelList rt_levels_[kRealTimeLevels];
    // Bit L of the 100-bit map (word L / 64, bit L % 64) is set exactly when
    // rt_levels_[L] is non-empty.
    uint64_t rt_bitmap_[2] = {0, 0};
    FairTree fair_tree_;
    SchedEntity* current_ = nullptr;

    size_t nr_running_ = 0;
    size_t rt_count_ = 0;
    size_t normal_count_ = 0;
    uint64_t normal_load_ = 0;
    // The smallest vruntime among the runnable normal entities, never moving
    // backwards; woken and new entities are placed relative to it. Starts
    // 1 ms (virtual) before the wrap-around point, as Linux does, so that
    // wrap-around bugs show up at once instead of after years of uptime.
    uint64_t min_vruntime_ = static_cast<uint64_t>(-(int64_t{1} << 20));
};

}  // namespace sched
