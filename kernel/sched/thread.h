#pragma once
// Kernel threads: a stack, a saved stack pointer, scheduling state.
#include <stdint.h>

#include "kernel/mm/kernel_stack.h"
#include "kernel/sched/sched_entity.h"
#include "kernel/sync/pi_core.h"
#include "kernel/time/timers.h"
#include "libk/cpu_mask.h"
#include "libk/list.h"
#include "libk/result.h"

namespace mm {
class AddressSpace;
}
namespace proc {
struct UserThread;
}

namespace sched {

enum class ThreadState : uint8_t {
    Ready,     // on a run queue, waiting for a CPU
    Running,   // on a CPU right now
    Blocked,   // waiting for an event (a wait queue), no time-out
    Sleeping,  // waiting with a time-out (or just for time to pass)
    Dead,      // finished; waiting to be reaped
};

struct Thread {
    Thread() = default;
    Thread(const Thread&) = delete;
    Thread& operator=(const Thread&) = delete;

    uint64_t saved_rsp = 0;  // valid while not running (arch_context_switch)
    SchedEntity entity;
    ThreadState state = ThreadState::Ready;
    // Still executing on `cpu` (up to the end of the context switch away
    // from it): such a thread may only be woken onto that same CPU, whose
    // run-queue lock the switch holds.
    bool on_cpu = false;
    bool detached = false;
    unsigned cpu = 0;  // the CPU whose run queue it belongs to
    k::CpuMask affinity = k::CpuMask::all();

    uint64_t id = 0;
    const char* name = "";
    mm::KernelStack stack{};

    // Waiting: a wait queue's list, and the timer that ends a sleep.
    k::ListNode wait_node;
    ktime::KernelTimer wake_timer;
    volatile bool timed_out = false;

    // Preemption: disabled while non-zero. Per thread, not per CPU, so it
    // stays right if the thread moves between reading and writing it.
    int preempt_count = 0;
    bool preempted = false;          // switched out by preemption (real time: back to the head)
    bool migrate_pending = false;    // must leave this CPU (affinity changed)

    // Accounting.
    uint64_t started_running_ns = 0;
    uint64_t runtime_ns = 0;
    uint64_t switches = 0;

    // Priority inheritance (kernel/sync/pi_mutex.cpp): the PI view of this
    // thread (base and effective priority, the locks it owns with waiters,
    // the lock it waits for), guarded by the global PI lock.
    ksync::pi::Task pi_task;

    // The sleeping locks this thread holds, innermost last (kernel/sync/
    // lockdep.cpp, debug builds): what a newly taken lock is ordered after.
    struct HeldLock {
        const void* lock;
        const void* site;
        uint8_t mode;
    };
    static constexpr unsigned kMaxHeldLocks = 16;
    HeldLock held_locks[kMaxHeldLocks] = {};
    uint8_t held_lock_count = 0;

    // Detached threads wait for the reaper on this list once Dead.
    k::ListNode reap_node;

    // User mode (kernel/proc): the address space this thread runs in
    // (nullptr for kernel threads, which run on the kernel's tables) and
    // the rest of its user-side state. Both belong to kernel/proc.
    mm::AddressSpace* address_space = nullptr;
    proc::UserThread* user = nullptr;
    // Page faults on user addresses resolve only while this is zero
    // (mm::pagefault_disable, the "_inatomic" user accessors).
    int pagefault_disabled = 0;
};

// The state is read without the run-queue lock in a few places (a joiner
// waiting for Dead, a thread marking itself waiting): atomic byte accesses,
// with acquire/release so what happened before a change is seen with it.
inline ThreadState load_state(const Thread& thread) {
    return static_cast<ThreadState>(__atomic_load_n(reinterpret_cast<const uint8_t*>(&thread.state), __ATOMIC_ACQUIRE));
}
inline void store_state(Thread& thread, ThreadState state) {
    __atomic_store_n(reinterpret_cast<uint8_t*>(&thread.state), static_cast<uint8_t>(state), __ATOMIC_RELEASE);
}

}  // namespace sched
