#include "kernel/time/timer_queue.h"

namespace ktime {

void TimerQueue::arm(Timer& timer, uint64_t deadline_ns) {
    cancel(timer);
    timer.deadline_ns = deadline_ns;
    timer.seq = next_seq_++;
    timer.state = Timer::State::Pending;
    pending_.insert(timer);
}

bool TimerQueue::cancel(Timer& timer) {
    switch (timer.state) {
    case Timer::State::Idle: return false;
    case Timer::State::Pending: pending_.erase(timer); break;
    case Timer::State::Expiring: expiring_.erase(timer); break;
    }
    timer.state = Timer::State::Idle;
    return true;
}

uint64_t TimerQueue::next_deadline() const {
    uint64_t earliest = kNoDeadline;
    if (const Timer* timer = pending_.first()) earliest = timer->deadline_ns;
    // Only non-empty while expire() runs callbacks; those timers are due.
    if (const Timer* timer = expiring_.first(); timer && timer->deadline_ns < earliest)
        earliest = timer->deadline_ns;
    return earliest;
}

// Moves the due prefix of pending_ into expiring_. The timers arrive in key
// order, and the key (deadline, seq) is unique, so expiring_ keeps the order.
void TimerQueue::collect_due(uint64_t now_ns) {
    while (Timer* timer = pending_.first()) {
        if (timer->deadline_ns > now_ns) break;
        pending_.erase(*timer);
        timer->state = Timer::State::Expiring;
        expiring_.insert(*timer);
    }
}

Timer* TimerQueue::pop_expiring() {
    Timer* timer = expiring_.first();
    if (!timer) return nullptr;
    expiring_.erase(*timer);
    timer->state = Timer::State::Idle;
    return timer;
}

size_t TimerQueue::expire(uint64_t now_ns) {
    return expire(now_ns, [](Timer& timer) {
        VERIFY(timer.callback != nullptr);
        timer.callback(timer, timer.context);
    });
}

bool TimerQueue::check_invariants() const {
    if (!pending_.check_invariants() || !expiring_.check_invariants()) return false;
    for (const Timer& timer : pending_) {
        if (timer.state != Timer::State::Pending || timer.seq >= next_seq_) return false;
    }
    for (const Timer& timer : expiring_) {
        if (timer.state != Timer::State::Expiring || timer.seq >= next_seq_) return false;
    }
    return true;
}

}  // namespace ktime
