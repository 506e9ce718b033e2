#pragma once
// The decision logic of a fair reader-writer semaphore (rwsem): who holds it,
// who waits, and whom to let in when something changes. No blocking here and
// no lock: the kernel's rwsem wraps every call in its own spinlock, puts the
// calling thread to sleep when a call says "queued", and wakes the threads
// this code hands the lock to. Keeping the rules apart from the sleeping lets
// the host tests check them exhaustively.
//
// The rules
// ---------
// * Readers share the rwsem; a writer holds it alone.
// * Fair, first come first served. Once anybody waits, every newcomer waits
//   behind them, even a reader that would be compatible with the readers
//   holding the rwsem right now. try_read() fails when a writer holds the
//   rwsem OR anybody is queued; try_write() succeeds only when the rwsem is
//   completely free and nobody is queued. Without this rule a steady stream
//   of overlapping readers would keep the count above zero forever and a
//   writer would never get in (writer starvation).
// * Hand-off. The releasing thread does not just make the rwsem free and let
//   the sleepers race for it (a fresh arrival could win and break the order):
//   it grants the rwsem to the head of the queue directly, inside the same
//   locked step, and the woken thread finds it already owns it.
//     - head is a writer: that writer alone;
//     - head is a reader: that reader and every reader queued directly behind
//       it, up to (not past) the next writer. That is one "batch".
//   Why stop at the next writer instead of letting every queued reader in
//   (which would run more readers in parallel): a writer must wait only for
//   the holders and the waiters that arrived before it, so its wait is
//   bounded by the work queued ahead of it. Readers behind a writer go in the
//   next batch.
// * downgrade_write(): the writer becomes a reader without ever letting go,
//   and in the same step the readers at the head of the queue (up to the next
//   writer) join it.
// * cancel(): a waiter may give up (time-out, signal). If it was a writer at
//   the head, holding back the readers behind it while readers own the rwsem,
//   those readers are compatible now and are granted at once. If the waiter
//   had been granted already (the grant raced with the time-out), cancel()
//   changes nothing and says so: the caller owns the rwsem and must release
//   it like any holder.
// In one sentence: after every call, the head of the queue (if any) is
// incompatible with the current holders. check_invariants() checks exactly
// that, plus the bookkeeping.
//
// The deadlock that fairness creates: do not take it for read twice
// -------------------------------------------------------------------
// A thread that already holds the rwsem for read and takes it for read again
// while a writer is queued deadlocks: the queued writer stops the new read
// (rule 2), and the writer itself waits for the first read hold to end, which
// belongs to the thread now sleeping behind it. Nothing in here can detect
// that (holders are counted, not named). The kernel's address-space lock
// (mmap_sem, see DESIGN.md) relies on its callers never doing it: code that
// touches user memory under the lock uses non-faulting accessors and, when
// one fails, drops the lock before faulting the page in (the page-fault
// handler takes the same rwsem for read).
//
// How the kernel drives it (every call under the rwsem's spinlock):
//
//   down_read:  if (state.try_read()) return;              // fast path
//               RwsemWaiter w = RwsemWaiter::for_read(current_thread);
//               if (state.enqueue(w)) return;             // granted at once
//               sleep until w.granted (re-checked under the spinlock);
//               on time-out: if (state.cancel(w, wake)) return -ETIMEDOUT;
//                            else we own it after all: carry on as holder.
//   up_read:    state.read_unlock(wake);   // wake(w): wake w.owner_context
//   up_write:   state.write_unlock(wake);
//
// The grant callback is called once per granted waiter, after the waiter has
// been taken off the queue and marked granted, and this code never touches
// that waiter again after the call: the callback may wake its thread, which
// may then return and reuse the waiter's memory (it lives on that thread's
// stack) as soon as it can take the spinlock.
#include <stddef.h>

#include "libk/list.h"

namespace ksync {

// One thread waiting for the rwsem. Lives on the waiting thread's stack for
// the length of the wait. Not copyable: a copy of a queued node would be a
// second, dangling member of the list.
struct RwsemWaiter {
    static RwsemWaiter for_read(void* owner_context = nullptr) { return RwsemWaiter(false, owner_context); }
    static RwsemWaiter for_write(void* owner_context = nullptr) { return RwsemWaiter(true, owner_context); }

    RwsemWaiter(bool wants_write, void* context) : writer(wants_write), owner_context(context) {}
    RwsemWaiter(const RwsemWaiter&) = delete;
    RwsemWaiter& operator=(const RwsemWaiter&) = delete;

    bool writer;           // wants exclusive access
    bool granted = false;  // set by RwsemState when the rwsem is handed over
    k::ListNode node;      // on the queue while waiting
    void* owner_context;   // the kernel's business (the sleeping thread); never read here
};

class RwsemState {
public:
    constexpr RwsemState() = default;
    RwsemState(const RwsemState&) = delete;
    RwsemState& operator=(const RwsemState&) = delete;

    // Take it without waiting, or fail (see the fairness rule above).
    [[nodiscard]] bool try_read();
    [[nodiscard]] bool try_write();

    // Start waiting. Returns true if the rwsem was granted at once (nobody
    // queued and compatible with the holders; waiter.granted is set too),
    // false if the waiter is now at the tail of the queue. Resets
    // waiter.granted, so a waiter object may be reused for a later wait.
    [[nodiscard]] bool enqueue(RwsemWaiter& waiter);

    // Releases. `grant(RwsemWaiter&)` is called for each waiter handed the
    // rwsem, in queue order (see the comment at the top for when).
    template <typename Grant> void read_unlock(Grant&& grant) {
        end_read();
        grant_compatible_waiters(grant);
    }
    template <typename Grant> void write_unlock(Grant&& grant) {
        end_write();
        grant_compatible_waiters(grant);
    }

    // The writer keeps the rwsem as a reader; the head readers join it.
    template <typename Grant> void downgrade_write(Grant&& grant) {
        turn_writer_into_reader();
        grant_compatible_waiters(grant);
    }

    // The waiter gives up. Returns true if it was taken off the queue (it
    // does not hold the rwsem; others may have been granted because it left);
    // false if it had been granted already: nothing changes, the caller holds
    // the rwsem and must release it.
    template <typename Grant> [[nodiscard]] bool cancel(RwsemWaiter& waiter, Grant&& grant) {
        if (!leave_queue(waiter)) return false;
        grant_compatible_waiters(grant);
        return true;
    }

    int readers() const { return readers_; }
    bool writer_held() const { return writer_held_; }
    size_t queued() const { return waiters_.size(); }

    // The rules above, checked (walks the queue: for tests and debug builds).
    bool check_invariants() const;

private:
    void end_read();
    void end_write();
    void turn_writer_into_reader();
    bool leave_queue(RwsemWaiter& waiter);

    // Dequeues the head waiter if it is compatible with the current holders,
    // makes it a holder and marks it granted; nullptr if the head must wait
    // (or nobody waits). Looping on it gives both the writer-alone and the
    // reader-batch rule: after a writer is granted nothing is compatible, and
    // after a reader only readers are, until the next writer stops the loop.
    RwsemWaiter* grant_head_if_compatible();

    template <typename Grant> void grant_compatible_waiters(Grant& grant) {
        while (RwsemWaiter* waiter = grant_head_if_compatible()) grant(*waiter);
    }

    int readers_ = 0;
    bool writer_held_ = false;
    k::List<RwsemWaiter, &RwsemWaiter::node> waiters_;
};

}  // namespace ksync
