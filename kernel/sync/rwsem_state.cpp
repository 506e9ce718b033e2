#include "kernel/sync/rwsem_state.h"

#include <limits.h>

#include "libk/verify.h"

namespace ksync {

bool RwsemState::try_read() {
    // A queued waiter means someone is already ahead: fairness says wait,
    // even if the holders are readers we could share with.
    if (writer_held_ || !waiters_.empty()) return false;
    VERIFY(readers_ < INT_MAX);
    ++readers_;
    return true;
}

bool RwsemState::try_write() {
    if (writer_held_ || readers_ > 0 || !waiters_.empty()) return false;
    writer_held_ = true;
    return true;
}

bool RwsemState::enqueue(RwsemWaiter& waiter) {
    VERIFY(!waiter.node.is_linked());  // already waiting: a second wait would corrupt the queue
    waiter.granted = false;
    if (waiter.writer ? try_write() : try_read()) {
        waiter.granted = true;
        return true;
    }
    waiters_.push_back(waiter);
    return false;
}

void RwsemState::end_read() {
    VERIFY(readers_ > 0 && !writer_held_);  // releasing a read hold nobody has
    --readers_;
}

void RwsemState::end_write() {
    VERIFY(writer_held_);  // releasing a write hold nobody has
    writer_held_ = false;
}

void RwsemState::turn_writer_into_reader() {
    VERIFY(writer_held_ && readers_ == 0);
    writer_held_ = false;
    readers_ = 1;
}

bool RwsemState::leave_queue(RwsemWaiter& waiter) {
    // Granted already: the hand-off won the race against the time-out. The
    // waiter is off the queue and counted as a holder; undoing that here
    // would need to know which kind of release to run, so the caller does it.
    if (waiter.granted) return false;
    VERIFY(waiter.node.is_linked());  // neither granted nor waiting: not ours
    DEBUG_VERIFY(waiters_.contains(waiter));
    waiters_.remove(waiter);
    return true;
}

RwsemWaiter* RwsemState::grant_head_if_compatible() {
    RwsemWaiter* head = waiters_.front();
    if (!head) return nullptr;
    if (head->writer) {
        if (writer_held_ || readers_ > 0) return nullptr;
        writer_held_ = true;
    } else {
        if (writer_held_) return nullptr;
        VERIFY(readers_ < INT_MAX);
        ++readers_;
    }
    waiters_.remove(*head);
    head->granted = true;
    return head;
}

bool RwsemState::check_invariants() const {
    if (readers_ < 0) return false;
    if (writer_held_ && readers_ != 0) return false;  // exclusive means exclusive

    size_t count = 0;
    for (const RwsemWaiter& waiter : waiters_) {
        if (waiter.granted) return false;  // a granted waiter still queued
        ++count;
    }
    if (count != waiters_.size()) return false;

    // Nobody who could run is left waiting: the head (and so, by FIFO order,
    // everyone) is incompatible with the current holders. This also means a
    // free rwsem has an empty queue.
    const RwsemWaiter* head = waiters_.front();
    if (!head) return true;
    if (head->writer) return writer_held_ || readers_ > 0;
    return writer_held_;
}

}  // namespace ksync
