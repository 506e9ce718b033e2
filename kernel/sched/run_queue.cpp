#include "kernel/sched/run_queue.h"

#include "libk/utility.h"
#include "libk/verify.h"

namespace sched {

namespace {

// value * multiplier / divisor, rounded down, without the 64-bit overflow of
// value * multiplier and without 128-bit division (which the freestanding
// kernel would have to get from a runtime library it does not link).
// Write value = q * divisor + r with r < divisor; then
//     value * multiplier / divisor = q * multiplier + r * multiplier / divisor
// exactly, and r * multiplier < divisor * multiplier, which is small for
// every use here (weights below 2^17, period and load sums far below 2^40).
// Both products saturate rather than wrap, just in case.
uint64_t scale(uint64_t value, uint64_t multiplier, uint64_t divisor) {
    uint64_t whole;
    uint64_t part;
    if (__builtin_mul_overflow(value / divisor, multiplier, &whole)) return UINT64_MAX;
    if (__builtin_mul_overflow(value % divisor, multiplier, &part)) return UINT64_MAX;
    uint64_t sum;
    if (__builtin_add_overflow(whole, part / divisor, &sum)) return UINT64_MAX;
    return sum;
}

// The later of two virtual times (wrap-around order).
uint64_t vruntime_max(uint64_t a, uint64_t b) { return vruntime_before(a, b) ? b : a; }

}  // namespace

void RunQueue::insert_waiting(SchedEntity& entity, bool at_head) {
    if (entity.is_real_time()) {
        LevelList& level = rt_levels_[entity.prio];
        if (at_head)
            level.push_front(entity);
        else
            level.push_back(entity);
        rt_bitmap_[entity.prio / 64] |= uint64_t{1} << (entity.prio % 64);
    } else {
        fair_tree_.insert(entity);
    }
}

void RunQueue::remove_waiting(SchedEntity& entity) {
    if (entity.is_real_time()) {
        VERIFY(entity.list_node.is_linked());
        LevelList& level = rt_levels_[entity.prio];
        level.remove(entity);
        if (level.empty()) rt_bitmap_[entity.prio / 64] &= ~(uint64_t{1} << (entity.prio % 64));
    } else {
        VERIFY(entity.tree_node.is_linked());
        fair_tree_.erase(entity);
    }
}

void RunQueue::count_in(const SchedEntity& entity) {
    ++nr_running_;
    if (entity.is_real_time()) {
        ++rt_count_;
    } else {
        ++normal_count_;
        normal_load_ += entity.weight;
    }
}

void RunQueue::count_out(const SchedEntity& entity) {
    VERIFY(nr_running_ > 0);
    --nr_running_;
    if (entity.is_real_time()) {
        VERIFY(rt_count_ > 0);
        --rt_count_;
    } else {
        VERIFY(normal_count_ > 0 && normal_load_ >= entity.weight);
        --normal_count_;
        normal_load_ -= entity.weight;
    }
}

// Linux's "gentle fair sleepers": credit for sleeping is capped at half a
// latency period. Without the cap, a thread that slept for a minute would
// come back a minute of vruntime behind and monopolise the CPU; with no
// credit at all, interactive threads (mostly asleep) would get no better
// latency than CPU hogs.
void RunQueue::place_woken(SchedEntity& entity) const {
    entity.vruntime = vruntime_max(entity.vruntime, min_vruntime_ - kSchedLatencyNs / 2);
}

// min_vruntime follows the smallest vruntime of the runnable normal entities
// (the running one and the leftmost waiting one), but only forwards: when
// that entity leaves, the minimum would jump back, and everything placed
// relative to it (woken and new threads) would get time it never waited.
void RunQueue::update_min_vruntime() {
    bool found = false;
    uint64_t smallest = 0;
    if (current_ && !current_->is_real_time()) {
        smallest = current_->vruntime;
        found = true;
    }
    if (const SchedEntity* leftmost = fair_tree_.first()) {
        if (!found || vruntime_before(leftmost->vruntime, smallest)) smallest = leftmost->vruntime;
        found = true;
    }
    if (found) min_vruntime_ = vruntime_max(min_vruntime_, smallest);
}

void RunQueue::enqueue(SchedEntity& entity, EnqueueFlags flags) {
    VERIFY(!entity.on_queue);
    VERIFY(!entity.tree_node.is_linked() && !entity.list_node.is_linked());
    if (has_flag(flags, EnqueueFlags::Migrated)) entity.vruntime += min_vruntime_;
    if (!entity.is_real_time()) {
        if (has_flag(flags, EnqueueFlags::Initial))
            entity.vruntime = min_vruntime_;
        else if (has_flag(flags, EnqueueFlags::Wakeup))
            place_woken(entity);
    }
    entity.on_queue = true;
    count_in(entity);
    insert_waiting(entity, has_flag(flags, EnqueueFlags::Head));
}

void RunQueue::dequeue(SchedEntity& entity, DequeueFlags flags) {
    VERIFY(entity.on_queue);
    if (&entity == current_)
        current_ = nullptr;
    else
        remove_waiting(entity);
    count_out(entity);
    entity.on_queue = false;
    update_min_vruntime();
    // Modular arithmetic: a vruntime slightly behind min_vruntime (a woken
    // thread's credit) becomes a huge unsigned number here and comes back
    // exactly when the target adds its own min_vruntime.
    if (has_flag(flags, DequeueFlags::Migrating)) entity.vruntime -= min_vruntime_;
}

SchedEntity* RunQueue::pick_next() const {
    // Lowest set bit = smallest prio = best level. __builtin_ctzll is one
    // TZCNT/BSF instruction; it is undefined for 0, hence the tests.
    if (rt_bitmap_[0]) return rt_levels_[__builtin_ctzll(rt_bitmap_[0])].front();
    if (rt_bitmap_[1]) return rt_levels_[64 + __builtin_ctzll(rt_bitmap_[1])].front();
    return fair_tree_.first();
}

void RunQueue::set_running(SchedEntity* entity) {
    VERIFY(current_ == nullptr);
    if (!entity) return;
    VERIFY(entity->on_queue);
    remove_waiting(*entity);
    current_ = entity;
    if (!entity->is_real_time())
        entity->slice_remaining_ns = time_slice_ns(*entity);
    else if (entity->policy == Policy::RoundRobin && entity->slice_remaining_ns == 0)
        entity->slice_remaining_ns = kRoundRobinSliceNs;
    update_min_vruntime();
}

void RunQueue::put_prev(SchedEntity& entity, EnqueueFlags flags) {
    VERIFY(&entity == current_);
    current_ = nullptr;
    insert_waiting(entity, has_flag(flags, EnqueueFlags::Head));
}

bool RunQueue::account(SchedEntity& entity, uint64_t delta_ns) {
    VERIFY(&entity == current_);
    if (entity.is_real_time()) {
        if (entity.policy != Policy::RoundRobin) return false;  // FIFO (or a boosted normal thread)
        if (delta_ns < entity.slice_remaining_ns) {
            entity.slice_remaining_ns -= delta_ns;
            return false;
        }
        entity.slice_remaining_ns = kRoundRobinSliceNs;
        return true;
    }
    entity.vruntime += scale(delta_ns, kNiceZeroWeight, entity.weight);
    update_min_vruntime();
    if (delta_ns < entity.slice_remaining_ns) {
        entity.slice_remaining_ns -= delta_ns;
        return false;
    }
    entity.slice_remaining_ns = 0;
    return true;
}

bool RunQueue::should_preempt(const SchedEntity* current, const SchedEntity& woken) const {
    if (!current) return true;
    // If either is real time, the priority numbers decide, and that covers
    // "real time beats normal" since every real-time prio is below 100.
    if (current->is_real_time() || woken.is_real_time()) return woken.prio < current->prio;
    bool current_idle = current->policy == Policy::Idle;
    bool woken_idle = woken.policy == Policy::Idle;
    if (current_idle != woken_idle) return current_idle;
    // The granularity is wall time; converted to the woken entity's virtual
    // time, so a heavy thread needs a smaller vruntime lead to get the CPU.
    uint64_t granularity = scale(kWakeupGranularityNs, kNiceZeroWeight, woken.weight);
    int64_t lead = static_cast<int64_t>(current->vruntime - woken.vruntime);
    return lead > 0 && static_cast<uint64_t>(lead) > granularity;
}

uint64_t RunQueue::time_slice_ns(const SchedEntity& entity) const {
    if (entity.is_real_time()) return entity.policy == Policy::RoundRobin ? kRoundRobinSliceNs : kInfiniteSliceNs;
    // The entity counts as runnable here, whether it already is or not.
    bool counted = entity.on_queue;
    uint64_t runnable = normal_count_ + (counted ? 0 : 1);
    uint64_t total_weight = normal_load_ + (counted ? 0 : entity.weight);
    uint64_t period = kSchedLatencyNs;
    if (runnable > kSchedLatencyNs / kMinGranularityNs) period = runnable * kMinGranularityNs;
    return k::max(scale(period, entity.weight, total_weight), kMinGranularityNs);
}

void RunQueue::change_effective_prio(SchedEntity& entity, int new_prio) {
    VERIFY(new_prio >= 0 && new_prio < kPriorityLevels);
    if (new_prio == entity.prio) return;
    bool boosted = new_prio < entity.prio;
    bool was_real_time = entity.is_real_time();
    if (!entity.on_queue) {
        entity.prio = static_cast<uint8_t>(new_prio);
        return;
    }
    bool waiting = &entity != current_;
    if (waiting) remove_waiting(entity);
    count_out(entity);
    entity.prio = static_cast<uint8_t>(new_prio);
    // Back in the fair class after a boost: while real time it accrued no
    // vruntime, so it may be far behind; cap the credit as for a sleeper.
    if (was_real_time && !entity.is_real_time()) place_woken(entity);
    count_in(entity);
    if (waiting) insert_waiting(entity, /*at_head=*/!boosted);
    update_min_vruntime();
}

bool RunQueue::check_invariants() const {
    size_t waiting_rt = 0;
    for (int level = 0; level < kRealTimeLevels; ++level) {
        const LevelList& list = rt_levels_[level];
        bool bit = (rt_bitmap_[level / 64] >> (level % 64)) & 1;
        if (bit == list.empty()) return false;
        for (const SchedEntity& entity : list) {
            if (entity.prio != level || !entity.on_queue || entity.tree_node.is_linked()) return false;
            if (&entity == current_) return false;
            ++waiting_rt;
        }
        if (waiting_rt > nr_running_) return false;  // also stops a cycling list
    }
    // Bits 100..127 do not name a level.
    if (rt_bitmap_[1] >> (kRealTimeLevels - 64)) return false;

    if (!fair_tree_.check_invariants()) return false;
    size_t waiting_normal = 0;
    uint64_t waiting_load = 0;
    for (const SchedEntity& entity : fair_tree_) {
        if (entity.is_real_time() || !entity.on_queue || entity.list_node.is_linked()) return false;
        if (&entity == current_) return false;
        ++waiting_normal;
        waiting_load += entity.weight;
    }

    size_t running_rt = 0;
    size_t running_normal = 0;
    uint64_t running_load = 0;
    if (current_) {
        if (!current_->on_queue || current_->tree_node.is_linked() || current_->list_node.is_linked()) return false;
        if (current_->is_real_time()) {
            running_rt = 1;
        } else {
            running_normal = 1;
            running_load = current_->weight;
        }
    }

    return rt_count_ == waiting_rt + running_rt && normal_count_ == waiting_normal + running_normal &&
           nr_running_ == rt_count_ + normal_count_ && normal_load_ == waiting_load + running_load;
}

}  // namespace sched
