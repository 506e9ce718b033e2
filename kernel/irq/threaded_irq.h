#pragma once
// Threaded interrupts: the primary handler runs in hard-IRQ context and does
// the minimum (acknowledge the device, decide), the rest runs in a kernel
// thread of its own with a real-time priority, like any other thread: it can
// sleep, take mutexes, and be ordered against other work by priority.
//
//   hard IRQ ── primary(ctx) ──► None: not this device (shared lines)
//                            ├─► Handled: done, no thread needed
//                            └─► WakeThread: mark pending, mask the line if
//                                level-triggered or one-shot, wake the thread
//   IRQ thread (FIFO, prio 50 by default) ── thread_fn(ctx) ── unmask when
//                                the last pending thread of the line is done
#include <stdint.h>

#include "libk/cpu_mask.h"
#include "libk/result.h"

namespace kirq {

enum class IrqReturn : uint8_t { None, Handled, WakeThread };
using PrimaryHandler = IrqReturn (*)(void* context);
using ThreadHandler = void (*)(void* context);

enum IrqFlags : uint32_t {
    kIrqShared = 1u << 0,   // other devices may use the same line
    kIrqOneShot = 1u << 1,  // keep the line masked until the thread is done (edge lines too)
};

struct LineTrigger {
    bool level = false;
    bool active_low = false;
};

struct IrqAction;

constexpr int kDefaultIrqThreadPriority = 50;

// `primary` may be null (always wake the thread); `thread_fn` may be null
// (a plain hard-IRQ handler). EBUSY if the line is taken and either side
// is not shared; ENODEV if no I/O APIC serves `gsi`; ENOMEM.
k::Result<IrqAction*> request_threaded_irq(uint32_t gsi, LineTrigger trigger, PrimaryHandler primary,
                                           ThreadHandler thread_fn, uint32_t flags, const char* name, void* context,
                                           int rt_priority = kDefaultIrqThreadPriority);
void free_threaded_irq(IrqAction* action);

k::Result<void> set_irq_thread_priority(IrqAction* action, int rt_priority);
k::Result<void> set_irq_thread_affinity(IrqAction* action, const k::CpuMask& mask);

struct IrqActionStats {
    uint64_t primary_calls;
    uint64_t thread_runs;
    bool line_disabled;  // by the storm detector
};
IrqActionStats irq_action_stats(const IrqAction* action);

// Storm detection: `unhandled` interrupts nobody claimed within `window_ns`
// disable the line (default: 1000 within 100 ms). Tests lower it so that an
// emulator that coalesces timer ticks under load still reaches it.
void set_storm_limits(uint32_t unhandled, uint64_t window_ns);

}  // namespace kirq
