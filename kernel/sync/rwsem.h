#pragma once
// A fair reader-writer semaphore that sleeps: the rules (FIFO, a queued
// writer stops new readers, hand-off, batches of readers, downgrade) and the
// read-twice deadlock they create are in kernel/sync/rwsem_state.h; this is
// the part that puts threads to sleep and wakes them.
//
//   rwsem.down_read();  ... read the shared thing ...  rwsem.up_read();
//   rwsem.down_write(); ... change it ...              rwsem.up_write();
#include <stdint.h>

#include "kernel/sync/rwsem_state.h"
#include "kernel/sync/spinlock.h"
#include "kernel/sync/wait_queue.h"

namespace ksync {

class Rwsem {
public:
    constexpr Rwsem() = default;
    Rwsem(const Rwsem&) = delete;
    Rwsem& operator=(const Rwsem&) = delete;

    // With a deadline (monotonic ns): false if it passed before the rwsem
    // was granted (then the caller holds nothing).
    bool down_read(uint64_t deadline_ns = ~uint64_t{0}) { return down(false, deadline_ns); }
    bool down_write(uint64_t deadline_ns = ~uint64_t{0}) { return down(true, deadline_ns); }
    bool try_down_read();
    bool try_down_write();
    void up_read();
    void up_write();
    // Writer to reader without letting go (readers queued at the head join).
    void downgrade_write();

    int readers();
    bool writer_held();

private:
    bool down(bool writer, uint64_t deadline_ns);
    bool down_blocking(bool writer, uint64_t deadline_ns);

    SpinLock lock_;      // guards state_; interrupts off while held
    RwsemState state_;
    // Waiters sleep here until their RwsemWaiter says granted. Every grant
    // wakes all of them to check (few waiters in practice; a per-waiter
    // wake-up is the obvious refinement).
    WaitQueue granted_;
};

}  // namespace ksync
