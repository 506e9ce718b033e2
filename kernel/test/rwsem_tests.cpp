// The sleeping rwsem on real CPUs: readers share, writers exclude, a queued
// writer stops new readers (and so a second read by a holder deadlocks, as
// documented), downgrade, time-outs.
#include "kernel/cpu.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sync/rwsem.h"
#include "kernel/test/ktest.h"
#include "kernel/time/clock.h"

namespace {
constexpr uint64_t kMs = 1000000;
sched::ThreadOptions normal_thread(const char* name) {
    return sched::ThreadOptions{.name = name, .policy = sched::Policy::Normal, .priority = 0,
                                .affinity = k::CpuMask::all(), .detached = false};
}
uint64_t in(uint64_t ms) { return ktime::monotonic_ns() + ms * kMs; }
}  // namespace

// Writers and readers hammer one rwsem: a writer always finds nobody else
// inside, a reader never finds a writer, and the protected counter ends
// exactly right.
KTEST(rwsem, readers_share_writers_exclude) {
    static ksync::Rwsem rwsem;
    static int readers_inside, writers_inside, max_readers, violations;
    static uint64_t counter;
    readers_inside = writers_inside = max_readers = violations = 0;
    counter = 0;
    constexpr int kRounds = 300;
    sched::Thread* threads[8];
    for (int i = 0; i < 8; ++i) {
        const bool writer = i % 2 == 0;
        auto t = sched::thread_create(
            writer ? +[](void*) {
                for (int r = 0; r < kRounds; ++r) {
                    rwsem.down_write();
                    if (__atomic_add_fetch(&writers_inside, 1, __ATOMIC_ACQ_REL) != 1 ||
                        __atomic_load_n(&readers_inside, __ATOMIC_ACQUIRE) != 0) {
                        __atomic_add_fetch(&violations, 1, __ATOMIC_RELAXED);
                    }
                    counter = counter + 1;
                    if (r % 16 == 0) sched::yield();
                    __atomic_sub_fetch(&writers_inside, 1, __ATOMIC_ACQ_REL);
                    rwsem.up_write();
                }
            }
                   : +[](void*) {
                for (int r = 0; r < kRounds; ++r) {
                    rwsem.down_read();
                    int now = __atomic_add_fetch(&readers_inside, 1, __ATOMIC_ACQ_REL);
                    if (__atomic_load_n(&writers_inside, __ATOMIC_ACQUIRE) != 0) __atomic_add_fetch(&violations, 1, __ATOMIC_RELAXED);
                    int seen = __atomic_load_n(&max_readers, __ATOMIC_RELAXED);
                    while (now > seen && !__atomic_compare_exchange_n(&max_readers, &seen, now, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
                    }
                    if (r % 8 == 0) sched::yield();
                    __atomic_sub_fetch(&readers_inside, 1, __ATOMIC_ACQ_REL);
                    rwsem.up_read();
                }
            },
            nullptr, normal_thread(writer ? "writer" : "reader"));
        KASSERT(t.ok());
        threads[i] = t.value();
    }
    for (auto* t : threads) sched::thread_join(t);
    KEXPECT_EQ(violations, 0);
    KEXPECT_EQ(counter, 4 * kRounds);
    KEXPECT_EQ(rwsem.readers(), 0);
    KEXPECT(!rwsem.writer_held());
}

// A holds it for read; writer W queues; then a new reader must wait, and so
// must A's own second read: the documented deadlock (bounded here by a
// time-out). Once A lets go, W gets in, then the reader.
KTEST(rwsem, queued_writer_blocks_new_readers_even_the_holder) {
    static ksync::Rwsem rwsem;
    static volatile bool writer_in;
    writer_in = false;
    KASSERT(rwsem.down_read());
    auto writer = sched::thread_create([](void*) {
        rwsem.down_write();
        writer_in = true;
        sched::sleep_ns(2 * kMs);
        rwsem.up_write();
    }, nullptr, normal_thread("writer"));
    KASSERT(writer.ok());
    const uint64_t give_up = in(2000);
    while (rwsem.try_down_write() == false && ktime::monotonic_ns() < give_up) {
        // Wait until the writer is queued: try_down_read fails only then.
        if (!rwsem.try_down_read()) break;
        rwsem.up_read();
        sched::sleep_ns(1 * kMs);
    }
    KEXPECT(!rwsem.try_down_read());
    // The recursive read: would deadlock without the time-out.
    KEXPECT(!rwsem.down_read(in(20)));
    KEXPECT(!writer_in);
    rwsem.up_read();
    KEXPECT(rwsem.down_read(in(2000)));  // after the writer
    KEXPECT(writer_in);
    rwsem.up_read();
    sched::thread_join(writer.value());
}

KTEST(rwsem, downgrade_lets_queued_readers_in) {
    static ksync::Rwsem rwsem;
    static volatile bool reader_in;
    reader_in = false;
    KASSERT(rwsem.down_write());
    auto reader = sched::thread_create([](void*) {
        rwsem.down_read();
        reader_in = true;
        rwsem.up_read();
    }, nullptr, normal_thread("reader"));
    KASSERT(reader.ok());
    sched::sleep_ns(5 * kMs);
    KEXPECT(!reader_in);
    rwsem.downgrade_write();
    const uint64_t give_up = in(2000);
    while (!reader_in && ktime::monotonic_ns() < give_up) sched::sleep_ns(1 * kMs);
    KEXPECT(reader_in);
    KEXPECT_EQ(rwsem.readers(), 1);  // we still read
    rwsem.up_read();
    sched::thread_join(reader.value());
}

KTEST(rwsem, writer_time_out_lets_readers_behind_it_in) {
    static ksync::Rwsem rwsem;
    static volatile bool writer_gave_up, reader_in;
    writer_gave_up = false;
    reader_in = false;
    KASSERT(rwsem.down_read());
    auto writer = sched::thread_create([](void*) { writer_gave_up = !rwsem.down_write(in(30)); }, nullptr,
                                       normal_thread("writer"));
    KASSERT(writer.ok());
    while (rwsem.try_down_read()) {  // until the writer is queued
        rwsem.up_read();
        sched::sleep_ns(1 * kMs);
    }
    auto reader = sched::thread_create([](void*) {
        rwsem.down_read();
        reader_in = true;
        rwsem.up_read();
    }, nullptr, normal_thread("reader"));
    KASSERT(reader.ok());
    sched::thread_join(writer.value());
    KEXPECT(writer_gave_up);
    const uint64_t give_up = in(2000);
    while (!reader_in && ktime::monotonic_ns() < give_up) sched::sleep_ns(1 * kMs);
    KEXPECT(reader_in);  // joined us while we still hold it for read
    rwsem.up_read();
    sched::thread_join(reader.value());
}

// Readers really share: four readers all inside at once (each waits, inside,
// until it sees the others), which a writer-style exclusive lock could never
// allow.
KTEST(rwsem, readers_are_inside_together) {
    static ksync::Rwsem rwsem;
    static int inside;
    static volatile int all_seen;
    inside = 0;
    all_seen = 0;
    sched::Thread* threads[4];
    for (auto& thread : threads) {
        auto t = sched::thread_create([](void*) {
            rwsem.down_read();
            __atomic_add_fetch(&inside, 1, __ATOMIC_ACQ_REL);
            const uint64_t give_up = in(2000);
            while (__atomic_load_n(&inside, __ATOMIC_ACQUIRE) < 4 && ktime::monotonic_ns() < give_up) sched::yield();
            if (__atomic_load_n(&inside, __ATOMIC_ACQUIRE) == 4) __atomic_add_fetch(&all_seen, 1, __ATOMIC_RELAXED);
            rwsem.up_read();
        }, nullptr, normal_thread("reader"));
        KASSERT(t.ok());
        thread = t.value();
    }
    for (auto* t : threads) sched::thread_join(t);
    KEXPECT_EQ(all_seen, 4);
}
