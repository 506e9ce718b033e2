// Lock costs: uncontended PI mutex, rwsem read and write, and a contended
// PI-mutex hand-off between two threads on one CPU.
#include "arch/x86_64/cpu.h"
#include "kernel/cpu.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sync/pi_mutex.h"
#include "kernel/sync/rwsem.h"
#include "kernel/test/kbench.h"

namespace {
ksync::PiMutex bench_mutex;
ksync::Rwsem bench_rwsem;
}  // namespace

KBENCH(pi_mutex_uncontended) {
    (void)bench_mutex.lock();
    bench_mutex.unlock();
}

KBENCH(rwsem_read_uncontended) {
    bench_rwsem.down_read();
    bench_rwsem.up_read();
}

KBENCH(rwsem_write_uncontended) {
    bench_rwsem.down_write();
    bench_rwsem.up_write();
}

// Two FIFO threads on one CPU pass a PI mutex back and forth. The sample
// runs from the holder's unlock (which hands the mutex to the sleeping
// waiter) to the waiter returning from lock() with it; in between, the
// releaser asks for the mutex again and blocks, which is what lets the
// waiter run on this one CPU.
KBENCH_SAMPLED(pi_mutex_handoff) {
    struct Shared {
        ksync::PiMutex mutex;
        uint64_t* samples;
        unsigned count;
        volatile uint64_t unlocked_at;
        volatile bool done;
    };
    static Shared shared;
    shared.samples = samples;
    shared.count = count;
    shared.done = false;
    auto conductor = [](void*) {
        const k::CpuMask here = k::CpuMask::only(kernel::this_cpu()->arch.index);
        (void)shared.mutex.lock();
        auto taker = sched::thread_create(
            [](void*) {
                for (unsigned i = 0; i < shared.count; ++i) {
                    (void)shared.mutex.lock();  // blocks until the conductor hands it over
                    shared.samples[i] = arch::read_tsc() - shared.unlocked_at;
                    shared.mutex.unlock();      // the conductor (better) waits for it again
                }
                shared.done = true;
            },
            nullptr, sched::ThreadOptions{.name = "taker", .policy = sched::Policy::Fifo, .priority = 40,
                                          .affinity = here, .detached = false});
        if (!taker.ok()) {
            shared.mutex.unlock();
            return;
        }
        for (unsigned i = 0; i < shared.count; ++i) {
            sched::sleep_ns(20000);  // the taker blocks on the mutex meanwhile
            shared.unlocked_at = arch::read_tsc();
            shared.mutex.unlock();   // hand-off; we (rt 50) keep running...
            sched::yield();
            (void)shared.mutex.lock();  // ...until we need it back
        }
        shared.mutex.unlock();
        sched::thread_join(taker.value());
    };
    auto t = sched::thread_create(conductor, nullptr,
                                  sched::ThreadOptions{.name = "conductor", .policy = sched::Policy::Fifo,
                                                       .priority = 50,
                                                       .affinity = k::CpuMask::only(kernel::cpu_count() - 1),
                                                       .detached = false});
    if (!t.ok()) return 0;
    sched::thread_join(t.value());
    return shared.done ? count : 0;
}
