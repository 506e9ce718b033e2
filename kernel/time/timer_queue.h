#pragma once
// One CPU's timers, ordered by deadline.
//
// A timer is "call this function with this context at (or soon after) time
// T", T an absolute time in nanoseconds since boot. The timer interrupt asks
// two questions: what is due now (expire), and when is the next one due
// (next_deadline, to program the hardware timer in one-shot mode). Both are
// cheap with a red-black tree keyed by deadline: the earliest timer is the
// cached leftmost node, and arming or cancelling any timer is O(log n). (Linux
// hrtimers use the same structure, a "timerqueue" over an rbtree.)
//
// Timers are intrusive: the Timer lives inside the object that needs it (a
// sleeping thread, a futex wait with a time-out), so arming never allocates
// and works in interrupt context.
//
// Timers with equal deadlines fire in the order they were armed: each arm
// takes a sequence number from the queue, and (deadline, seq) is the key.
//
// Expiry is bounded. expire(now) runs exactly the timers that were due when
// it was called. A callback may arm or cancel any timer, its own included,
// but a timer armed (or re-armed) during expire() waits for the next call,
// even if its deadline has already passed. So a periodic timer that re-arms
// itself with a deadline in the past cannot keep expire() spinning forever
// inside the interrupt handler; instead next_deadline() reports a time that
// has passed, the kernel programs the hardware to fire again at once, and
// interrupts get a chance in between. To make this possible the due timers
// are first moved, in order, into a second tree (the "expiring batch") and
// run from there.
//
// No locking here: the kernel wraps the queue in its per-CPU lock. The
// runner passed to expire() gets each timer already removed and disarmed,
// so it may drop that lock around the callback.
#include <stddef.h>
#include <stdint.h>

#include "libk/rbtree.h"
#include "libk/verify.h"

namespace ktime {

// next_deadline() when no timer is armed. (A timer armed for UINT64_MAX
// looks the same: it is "never" as far as the hardware is concerned.)
inline constexpr uint64_t kNoDeadline = UINT64_MAX;

struct Timer {
    using Callback = void (*)(Timer& timer, void* context);

    Timer() = default;
    Timer(Callback callback_function, void* callback_context)
        : callback(callback_function), context(callback_context) {}
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;

    // Set by the owner; called by TimerQueue::expire(now) without a runner.
    Callback callback = nullptr;
    void* context = nullptr;

    bool armed() const { return state != State::Idle; }

    // Owned by the TimerQueue from here on: read them, never write them.
    enum class State : uint8_t {
        Idle,      // not in any queue
        Pending,   // waiting for its deadline
        Expiring,  // due: in the batch the running expire() call works through
    };
    k::RbNode node;
    uint64_t deadline_ns = 0;
    uint64_t seq = 0;
    State state = State::Idle;
};

class TimerQueue {
public:
    TimerQueue() = default;
    TimerQueue(const TimerQueue&) = delete;
    TimerQueue& operator=(const TimerQueue&) = delete;

    // Arms `timer` to fire at deadline_ns. An armed timer is moved: it is as
    // if it were cancelled and armed again (so it goes behind timers already
    // armed for the same deadline). O(log n).
    void arm(Timer& timer, uint64_t deadline_ns);

    // Disarms `timer`. Returns whether it was armed, i.e. whether this call
    // stopped it from firing. False if it already fired, including "its
    // callback is running right now". O(log n).
    bool cancel(Timer& timer);

    // The earliest deadline of an armed timer, or kNoDeadline. O(1).
    uint64_t next_deadline() const;

    // Runs every timer whose deadline is <= now_ns at the time of the call,
    // in (deadline, arming order), by calling run(Timer&) for each, after
    // taking it out of the queue. Returns how many ran.
    template <typename Runner> size_t expire(uint64_t now_ns, Runner&& run) {
        collect_due(now_ns);
        size_t ran = 0;
        while (Timer* timer = pop_expiring()) {
            run(*timer);
            ++ran;
        }
        return ran;
    }

    // The same, calling each timer's own callback(timer, context).
    size_t expire(uint64_t now_ns);

    size_t size() const { return pending_.size() + expiring_.size(); }
    bool empty() const { return size() == 0; }

    // Both trees valid and ordered, every timer's state matching its tree.
    // O(n log n); for tests and debug builds.
    bool check_invariants() const;

private:
    struct ByDeadlineThenSeq {
        bool operator()(const Timer& a, const Timer& b) const {
            if (a.deadline_ns != b.deadline_ns) return a.deadline_ns < b.deadline_ns;
            return a.seq < b.seq;
        }
    };
    using TimerTree = k::RbTree<Timer, &Timer::node, ByDeadlineThenSeq>;

    void collect_due(uint64_t now_ns);
    Timer* pop_expiring();

    TimerTree pending_;
    TimerTree expiring_;
    // 2^64 arms never happen (centuries at a billion per second), so the
    // sequence numbers never wrap.
    uint64_t next_seq_ = 0;
};

}  // namespace ktime
