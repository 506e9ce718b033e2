#pragma once
// A completion: "wait until this has happened", for one-shot events such as
// a thread finishing its start-up or an I/O request being done. complete()
// may be called before anyone waits; the event is not lost.
#include <stdint.h>

#include "kernel/sync/wait_queue.h"

namespace ksync {

class Completion {
public:
    constexpr Completion() = default;

    // Waits until complete() has run (at most `deadline_ns`): true if so.
    bool wait(uint64_t deadline_ns = ~uint64_t{0}) {
        return queue_.wait_until([this] { return __atomic_load_n(&done_, __ATOMIC_ACQUIRE) != 0; }, deadline_ns);
    }
    void complete() {
        __atomic_store_n(&done_, 1u, __ATOMIC_RELEASE);
        queue_.wake_all();
    }
    bool done() const { return __atomic_load_n(&done_, __ATOMIC_ACQUIRE) != 0; }
    void reset() { __atomic_store_n(&done_, 0u, __ATOMIC_RELEASE); }

private:
    WaitQueue queue_;
    uint32_t done_ = 0;
};

}  // namespace ksync
