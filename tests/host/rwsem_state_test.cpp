#include "kernel/sync/rwsem_state.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <random>
#include <vector>

namespace {

using ksync::RwsemState;
using ksync::RwsemWaiter;

// Records the grant callbacks, and checks the promise made to them: the
// waiter is off the queue and marked granted by the time the callback runs.
struct GrantLog {
    std::vector<RwsemWaiter*> granted;
    bool contract_broken = false;

    auto callback() {
        return [this](RwsemWaiter& waiter) {
            if (!waiter.granted || waiter.node.is_linked()) contract_broken = true;
            granted.push_back(&waiter);
        };
    }
    std::vector<RwsemWaiter*> take() {
        std::vector<RwsemWaiter*> out;
        out.swap(granted);
        return out;
    }
};

using Granted = std::vector<RwsemWaiter*>;

TEST(RwsemStateTest, ReadersShare) {
    RwsemState state;
    EXPECT_TRUE(state.try_read());
    EXPECT_TRUE(state.try_read());
    RwsemWaiter third = RwsemWaiter::for_read();
    EXPECT_TRUE(state.enqueue(third));  // nobody queued, compatible: granted at once
    EXPECT_TRUE(third.granted);
    EXPECT_FALSE(third.node.is_linked());
    EXPECT_EQ(state.readers(), 3);
    EXPECT_FALSE(state.writer_held());
    EXPECT_FALSE(state.try_write());
    EXPECT_TRUE(state.check_invariants());

    GrantLog log;
    for (int i = 0; i < 3; ++i) state.read_unlock(log.callback());
    EXPECT_EQ(state.readers(), 0);
    EXPECT_TRUE(log.granted.empty());
    EXPECT_TRUE(state.try_write());  // free again
}

TEST(RwsemStateTest, WriterExcludes) {
    RwsemState state;
    ASSERT_TRUE(state.try_write());
    EXPECT_TRUE(state.writer_held());
    EXPECT_FALSE(state.try_read());
    EXPECT_FALSE(state.try_write());

    RwsemWaiter reader = RwsemWaiter::for_read();
    RwsemWaiter writer = RwsemWaiter::for_write();
    EXPECT_FALSE(state.enqueue(reader));
    EXPECT_FALSE(state.enqueue(writer));
    EXPECT_FALSE(reader.granted);
    EXPECT_FALSE(writer.granted);
    EXPECT_EQ(state.queued(), 2u);
    EXPECT_EQ(state.readers(), 0);
    EXPECT_TRUE(state.check_invariants());

    GrantLog log;
    state.write_unlock(log.callback());
    EXPECT_EQ(log.take(), Granted{&reader});  // the reader, not the writer behind it
    EXPECT_EQ(state.readers(), 1);
    EXPECT_FALSE(state.writer_held());
    state.read_unlock(log.callback());
    EXPECT_EQ(log.take(), Granted{&writer});
    EXPECT_TRUE(state.writer_held());
    state.write_unlock(log.callback());
    EXPECT_TRUE(log.granted.empty());
    EXPECT_FALSE(log.contract_broken);
    EXPECT_TRUE(state.check_invariants());
}

TEST(RwsemStateTest, QueuedWriterBlocksNewReaders) {
    RwsemState state;
    ASSERT_TRUE(state.try_read());
    RwsemWaiter writer = RwsemWaiter::for_write();
    EXPECT_FALSE(state.enqueue(writer));

    // The rwsem is only read-held, yet a new reader may not join: the writer
    // came first.
    EXPECT_FALSE(state.try_read());
    RwsemWaiter late_reader = RwsemWaiter::for_read();
    EXPECT_FALSE(state.enqueue(late_reader));
    EXPECT_EQ(state.readers(), 1);
    EXPECT_EQ(state.queued(), 2u);
    EXPECT_TRUE(state.check_invariants());

    GrantLog log;
    state.read_unlock(log.callback());
    EXPECT_EQ(log.take(), Granted{&writer});
    EXPECT_TRUE(late_reader.node.is_linked());
    EXPECT_FALSE(late_reader.granted);
    state.write_unlock(log.callback());
    EXPECT_EQ(log.take(), Granted{&late_reader});
    EXPECT_FALSE(log.contract_broken);
}

// Writer holds; queue: W1 R1 R2 W2 R3. Batches: {W1}, {R1, R2}, {W2}, {R3}.
TEST(RwsemStateTest, FifoHandOffBatchesReadersUpToTheNextWriter) {
    RwsemState state;
    ASSERT_TRUE(state.try_write());
    RwsemWaiter w1 = RwsemWaiter::for_write(), r1 = RwsemWaiter::for_read(), r2 = RwsemWaiter::for_read();
    RwsemWaiter w2 = RwsemWaiter::for_write(), r3 = RwsemWaiter::for_read();
    for (RwsemWaiter* w : {&w1, &r1, &r2, &w2, &r3}) EXPECT_FALSE(state.enqueue(*w));
    EXPECT_EQ(state.queued(), 5u);

    GrantLog log;
    state.write_unlock(log.callback());
    EXPECT_EQ(log.take(), Granted{&w1});  // a writer at the head goes alone
    EXPECT_TRUE(state.writer_held());
    EXPECT_EQ(state.queued(), 4u);

    state.write_unlock(log.callback());
    EXPECT_EQ(log.take(), (Granted{&r1, &r2}));  // the batch stops at W2; R3 waits
    EXPECT_EQ(state.readers(), 2);
    EXPECT_FALSE(r3.granted);
    EXPECT_EQ(state.queued(), 2u);

    state.read_unlock(log.callback());
    EXPECT_TRUE(log.granted.empty());  // one reader still in
    state.read_unlock(log.callback());
    EXPECT_EQ(log.take(), Granted{&w2});

    state.write_unlock(log.callback());
    EXPECT_EQ(log.take(), Granted{&r3});
    state.read_unlock(log.callback());
    EXPECT_EQ(state.readers(), 0);
    EXPECT_FALSE(state.writer_held());
    EXPECT_EQ(state.queued(), 0u);
    EXPECT_FALSE(log.contract_broken);
    EXPECT_TRUE(state.check_invariants());
}

TEST(RwsemStateTest, DowngradeGrantsTheHeadReaders) {
    RwsemState state;
    ASSERT_TRUE(state.try_write());
    RwsemWaiter r1 = RwsemWaiter::for_read(), r2 = RwsemWaiter::for_read();
    RwsemWaiter w = RwsemWaiter::for_write(), r3 = RwsemWaiter::for_read();
    for (RwsemWaiter* x : {&r1, &r2, &w, &r3}) EXPECT_FALSE(state.enqueue(*x));

    GrantLog log;
    state.downgrade_write(log.callback());
    EXPECT_EQ(log.take(), (Granted{&r1, &r2}));
    EXPECT_EQ(state.readers(), 3);  // the old writer and the two head readers
    EXPECT_FALSE(state.writer_held());
    EXPECT_EQ(state.queued(), 2u);
    EXPECT_FALSE(state.try_read());  // W still queued and blocking
    EXPECT_TRUE(state.check_invariants());

    for (int i = 0; i < 3; ++i) state.read_unlock(log.callback());
    EXPECT_EQ(log.take(), Granted{&w});
    state.write_unlock(log.callback());
    EXPECT_EQ(log.take(), Granted{&r3});
    EXPECT_FALSE(log.contract_broken);
}

TEST(RwsemStateTest, DowngradeWithAWriterAtTheHeadGrantsNobody) {
    RwsemState state;
    ASSERT_TRUE(state.try_write());
    RwsemWaiter w = RwsemWaiter::for_write(), r = RwsemWaiter::for_read();
    EXPECT_FALSE(state.enqueue(w));
    EXPECT_FALSE(state.enqueue(r));
    GrantLog log;
    state.downgrade_write(log.callback());
    EXPECT_TRUE(log.granted.empty());
    EXPECT_EQ(state.readers(), 1);
    EXPECT_EQ(state.queued(), 2u);
    EXPECT_TRUE(state.check_invariants());
}

TEST(RwsemStateTest, CancellingTheHeadWriterLetsTheReadersBehindItIn) {
    RwsemState state;
    ASSERT_TRUE(state.try_read());
    RwsemWaiter w1 = RwsemWaiter::for_write(), r1 = RwsemWaiter::for_read(), r2 = RwsemWaiter::for_read();
    RwsemWaiter w2 = RwsemWaiter::for_write(), r3 = RwsemWaiter::for_read();
    for (RwsemWaiter* x : {&w1, &r1, &r2, &w2, &r3}) EXPECT_FALSE(state.enqueue(*x));

    GrantLog log;
    EXPECT_TRUE(state.cancel(w1, log.callback()));  // W1 times out
    EXPECT_FALSE(w1.granted);
    EXPECT_FALSE(w1.node.is_linked());
    EXPECT_EQ(log.take(), (Granted{&r1, &r2}));  // they join the reader holding it
    EXPECT_EQ(state.readers(), 3);
    EXPECT_EQ(state.queued(), 2u);  // W2 R3
    EXPECT_TRUE(state.check_invariants());
    EXPECT_FALSE(log.contract_broken);
}

TEST(RwsemStateTest, CancellingAWriterThatBlocksNobodyGrantsNothing) {
    RwsemState state;
    ASSERT_TRUE(state.try_write());
    RwsemWaiter w1 = RwsemWaiter::for_write(), r1 = RwsemWaiter::for_read(), w2 = RwsemWaiter::for_write();
    RwsemWaiter r2 = RwsemWaiter::for_read();
    for (RwsemWaiter* x : {&w1, &r1, &w2, &r2}) EXPECT_FALSE(state.enqueue(*x));

    GrantLog log;
    EXPECT_TRUE(state.cancel(w1, log.callback()));  // head, but a writer holds it
    EXPECT_TRUE(state.cancel(w2, log.callback()));  // middle of the queue
    EXPECT_TRUE(log.granted.empty());
    EXPECT_EQ(state.queued(), 2u);
    EXPECT_TRUE(state.check_invariants());

    // With W2 gone, R1 and R2 are one batch now.
    state.write_unlock(log.callback());
    EXPECT_EQ(log.take(), (Granted{&r1, &r2}));
}

TEST(RwsemStateTest, CancelAfterTheGrantChangesNothingAndTheCallerOwnsIt) {
    RwsemState state;
    ASSERT_TRUE(state.try_write());
    RwsemWaiter w = RwsemWaiter::for_write(), r = RwsemWaiter::for_read();
    EXPECT_FALSE(state.enqueue(w));
    EXPECT_FALSE(state.enqueue(r));
    GrantLog log;
    state.write_unlock(log.callback());
    ASSERT_EQ(log.take(), Granted{&w});

    // W's time-out fires after the hand-off: too late, it owns the rwsem.
    EXPECT_FALSE(state.cancel(w, log.callback()));
    EXPECT_TRUE(log.granted.empty());
    EXPECT_TRUE(state.writer_held());
    EXPECT_EQ(state.queued(), 1u);
    state.write_unlock(log.callback());
    EXPECT_EQ(log.take(), Granted{&r});
}

TEST(RwsemStateTest, AWaiterCanBeReusedForALaterWait) {
    RwsemState state;
    RwsemWaiter waiter = RwsemWaiter::for_write();
    GrantLog log;
    for (int round = 0; round < 3; ++round) {
        ASSERT_TRUE(state.try_read());
        EXPECT_FALSE(state.enqueue(waiter));
        EXPECT_FALSE(waiter.granted);
        state.read_unlock(log.callback());
        EXPECT_EQ(log.take(), Granted{&waiter});
        state.write_unlock(log.callback());
    }
    EXPECT_TRUE(state.check_invariants());
}

// A writer arrives while readers hold the rwsem; from then on a new reader
// arrives every step and the oldest reader leaves, so the read count never
// drops to zero on its own. The writer must get in as soon as the readers
// that were there before it have left, and none of the newcomers before it.
TEST(RwsemStateTest, AWriterIsNotStarvedByAStreamOfReaders) {
    constexpr int kReadersAhead = 5;
    constexpr int kStream = 200;
    RwsemState state;
    GrantLog log;
    for (int i = 0; i < kReadersAhead; ++i) ASSERT_TRUE(state.try_read());
    RwsemWaiter writer = RwsemWaiter::for_write();
    ASSERT_FALSE(state.enqueue(writer));

    std::vector<std::unique_ptr<RwsemWaiter>> newcomers;
    int readers_ahead_left = kReadersAhead;
    int writer_granted_at = -1;
    for (int step = 0; step < kStream; ++step) {
        newcomers.push_back(std::make_unique<RwsemWaiter>(false, nullptr));
        EXPECT_FALSE(state.enqueue(*newcomers.back())) << "step " << step;
        if (readers_ahead_left > 0) {
            --readers_ahead_left;
            state.read_unlock(log.callback());
        }
        for (RwsemWaiter* granted : log.take()) {
            ASSERT_EQ(granted, &writer) << "a newcomer overtook the writer at step " << step;
            writer_granted_at = step;
        }
        ASSERT_TRUE(state.check_invariants());
    }
    EXPECT_EQ(writer_granted_at, kReadersAhead - 1);
    EXPECT_TRUE(state.writer_held());

    // When the writer leaves, all the readers that piled up go in together.
    state.write_unlock(log.callback());
    Granted batch = log.take();
    ASSERT_EQ(batch.size(), newcomers.size());
    for (size_t i = 0; i < batch.size(); ++i) EXPECT_EQ(batch[i], newcomers[i].get());
    EXPECT_EQ(state.readers(), kStream);
    EXPECT_FALSE(log.contract_broken);
}

TEST(RwsemStateTest, CheckInvariantsNoticesBrokenStates) {
    RwsemState state;
    ASSERT_TRUE(state.try_write());
    RwsemWaiter waiter = RwsemWaiter::for_read();
    ASSERT_FALSE(state.enqueue(waiter));
    ASSERT_TRUE(state.check_invariants());
    waiter.granted = true;  // corrupt it as a buggy caller could
    EXPECT_FALSE(state.check_invariants());
    waiter.granted = false;
    GrantLog log;
    state.write_unlock(log.callback());
    ASSERT_EQ(log.take(), Granted{&waiter});

    // A reader at the head while only readers hold it could have run.
    RwsemWaiter blocked = RwsemWaiter::for_write();
    ASSERT_FALSE(state.enqueue(blocked));
    ASSERT_TRUE(state.check_invariants());
    blocked.writer = false;
    EXPECT_FALSE(state.check_invariants());
    blocked.writer = true;
    EXPECT_TRUE(state.cancel(blocked, log.callback()));
}

TEST(RwsemStateDeathTest, ReleasingAHoldNobodyHasIsCaught) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_DEATH(
        {
            RwsemState state;
            state.read_unlock([](RwsemWaiter&) {});
        },
        "VERIFY");
    EXPECT_DEATH(
        {
            RwsemState state;
            (void)state.try_read();
            state.write_unlock([](RwsemWaiter&) {});
        },
        "VERIFY");
}

// ---------------------------------------------------------------------------
// Randomized model test: many actors try, wait, release, downgrade and give
// up at random; a reference model (a plain FIFO of actor numbers plus the
// counts) says after every step what must have happened.

enum class Role { Idle, QueuedRead, QueuedWrite, HoldRead, HoldWrite };

struct Actor {
    int id = 0;
    Role role = Role::Idle;
    std::unique_ptr<RwsemWaiter> waiter;  // the current or last wait, if any
    bool holds_through_waiter = false;    // its hold came from a granted waiter
};

struct ReferenceModel {
    std::deque<int> queue;  // actor ids, FIFO
    int readers = 0;
    bool writer = false;

    bool can_try_read() const { return !writer && queue.empty(); }
    bool can_try_write() const { return !writer && readers == 0 && queue.empty(); }
    void hold(bool write) {
        if (write)
            writer = true;
        else
            ++readers;
    }

    // The hand-off rules written out as the specification states them.
    std::vector<int> grant(const std::vector<Actor>& actors) {
        std::vector<int> out;
        auto is_writer = [&](int id) { return actors[id].role == Role::QueuedWrite; };
        if (queue.empty() || writer) return out;
        if (readers == 0 && is_writer(queue.front())) {
            out.push_back(queue.front());
            queue.pop_front();
            writer = true;
            return out;
        }
        while (!queue.empty() && !is_writer(queue.front())) {
            out.push_back(queue.front());
            queue.pop_front();
            ++readers;
        }
        return out;
    }
};

struct ModelStats {
    int try_ok = 0, try_failed = 0, granted_at_once = 0, queued = 0, handed_off = 0;
    int downgrades = 0, cancels = 0, cancels_that_granted = 0, late_cancels = 0, max_queue = 0;
};

void run_model(uint32_t seed, int operations, ModelStats& stats) {
    constexpr int kActors = 12;
    std::mt19937 rng(seed);
    RwsemState state;
    ReferenceModel model;
    std::vector<Actor> actors(kActors);
    for (int i = 0; i < kActors; ++i) actors[i].id = i;

    std::vector<int> grant_order;
    bool contract_broken = false;
    auto grant = [&](RwsemWaiter& waiter) {
        if (!waiter.granted || waiter.node.is_linked()) contract_broken = true;
        grant_order.push_back(static_cast<Actor*>(waiter.owner_context)->id);
    };

    // Applies the model's grants to the actors and compares with the real ones.
    auto settle = [&](int op) {
        const std::vector<int> expected = model.grant(actors);
        ASSERT_EQ(grant_order, expected) << "op " << op;
        for (int id : expected) {
            Actor& a = actors[id];
            a.role = a.role == Role::QueuedWrite ? Role::HoldWrite : Role::HoldRead;
            a.holds_through_waiter = true;
        }
        stats.handed_off += static_cast<int>(expected.size());
        grant_order.clear();
    };

    for (int op = 0; op < operations; ++op) {
        Actor& actor = actors[std::uniform_int_distribution<int>(0, kActors - 1)(rng)];
        const int dice = std::uniform_int_distribution<int>(0, 99)(rng);
        switch (actor.role) {
        case Role::Idle: {
            // Alternate busy stretches with quiet ones in which few arrive,
            // so the queue both piles up and drains (and free-rwsem paths run).
            const bool quiet = (op / 250) % 2 == 1;
            if (quiet && dice >= 10) break;
            const bool write = dice % 2 == 0;
            if (dice < 30) {  // try without waiting
                const bool expected = write ? model.can_try_write() : model.can_try_read();
                const bool got = write ? state.try_write() : state.try_read();
                ASSERT_EQ(got, expected) << "op " << op;
                if (got) {
                    actor.role = write ? Role::HoldWrite : Role::HoldRead;
                    actor.holds_through_waiter = false;
                    model.hold(write);
                    ++stats.try_ok;
                } else {
                    ++stats.try_failed;
                }
            } else {  // wait
                const bool expected = write ? model.can_try_write() : model.can_try_read();
                actor.waiter = std::make_unique<RwsemWaiter>(write, &actor);
                const bool got = state.enqueue(*actor.waiter);
                ASSERT_EQ(got, expected) << "op " << op;
                ASSERT_EQ(actor.waiter->granted, got);
                if (got) {
                    actor.role = write ? Role::HoldWrite : Role::HoldRead;
                    actor.holds_through_waiter = true;
                    model.hold(write);
                    ++stats.granted_at_once;
                } else {
                    actor.role = write ? Role::QueuedWrite : Role::QueuedRead;
                    model.queue.push_back(actor.id);
                    ++stats.queued;
                }
            }
            break;
        }
        case Role::QueuedRead:
        case Role::QueuedWrite: {
            if (dice >= 15) break;  // mostly keep waiting: queues must grow
            ASSERT_TRUE(state.cancel(*actor.waiter, grant)) << "op " << op;
            std::erase(model.queue, actor.id);
            actor.role = Role::Idle;
            ++stats.cancels;
            if (!grant_order.empty()) ++stats.cancels_that_granted;
            settle(op);
            break;
        }
        case Role::HoldRead:
        case Role::HoldWrite: {
            if (actor.holds_through_waiter && dice < 10) {  // a time-out that lost the race
                ASSERT_FALSE(state.cancel(*actor.waiter, grant)) << "op " << op;
                ASSERT_TRUE(grant_order.empty());
                ++stats.late_cancels;
            } else if (actor.role == Role::HoldWrite && dice < 35) {
                state.downgrade_write(grant);
                actor.role = Role::HoldRead;
                model.writer = false;
                model.readers = 1;
                ++stats.downgrades;
                settle(op);
            } else if (actor.role == Role::HoldWrite) {
                state.write_unlock(grant);
                actor.role = Role::Idle;
                model.writer = false;
                settle(op);
            } else {
                state.read_unlock(grant);
                actor.role = Role::Idle;
                --model.readers;
                settle(op);
            }
            break;
        }
        }
        if (::testing::Test::HasFatalFailure()) return;

        // The state agrees with the model...
        ASSERT_TRUE(state.check_invariants()) << "op " << op;
        ASSERT_FALSE(contract_broken) << "op " << op;
        ASSERT_EQ(state.readers(), model.readers) << "op " << op;
        ASSERT_EQ(state.writer_held(), model.writer) << "op " << op;
        ASSERT_EQ(state.queued(), model.queue.size()) << "op " << op;
        stats.max_queue = std::max(stats.max_queue, static_cast<int>(model.queue.size()));

        // ...and the actors' view of it obeys the rules, independently of
        // what RwsemState says about itself.
        int holding_read = 0, holding_write = 0;
        for (const Actor& a : actors) {
            const bool queued = a.role == Role::QueuedRead || a.role == Role::QueuedWrite;
            if (queued) {
                ASSERT_TRUE(a.waiter->node.is_linked()) << "op " << op;
                ASSERT_FALSE(a.waiter->granted) << "op " << op;
            } else if (a.waiter) {
                ASSERT_FALSE(a.waiter->node.is_linked()) << "op " << op;  // granted => not queued
            }
            if (a.holds_through_waiter && (a.role == Role::HoldRead || a.role == Role::HoldWrite)) {
                ASSERT_TRUE(a.waiter->granted) << "op " << op;
            }
            holding_read += a.role == Role::HoldRead;
            holding_write += a.role == Role::HoldWrite;
        }
        ASSERT_EQ(holding_read, model.readers) << "op " << op;
        ASSERT_LE(holding_write, 1) << "op " << op;
        ASSERT_FALSE(holding_write == 1 && holding_read > 0) << "op " << op;
        if (!model.queue.empty()) {
            const Role head = actors[model.queue.front()].role;
            const bool lock_free = holding_read == 0 && holding_write == 0;
            ASSERT_FALSE(lock_free) << "waiters left queued on a free rwsem, op " << op;
            if (head == Role::QueuedRead) {
                ASSERT_EQ(holding_write, 1) << "a reader at the head could run, op " << op;
            }
        }
    }
}

TEST(RwsemStateTest, RandomizedAgainstAReferenceModel) {
    for (uint32_t seed : {1u, 2u, 12345u}) {
        SCOPED_TRACE(::testing::Message() << "seed " << seed);
        ModelStats stats;
        run_model(seed, 10'000, stats);
        if (HasFatalFailure()) return;
        std::printf("seed %u: try ok %d failed %d, granted at once %d, queued %d, handed off %d, downgrades %d, "
                    "cancels %d (%d granted others, %d late), longest queue %d\n",
                    seed, stats.try_ok, stats.try_failed, stats.granted_at_once, stats.queued, stats.handed_off,
                    stats.downgrades, stats.cancels, stats.cancels_that_granted, stats.late_cancels, stats.max_queue);
        // The run must have exercised every path, or passing means little.
        EXPECT_GT(stats.try_ok, 100);
        EXPECT_GT(stats.try_failed, 100);
        EXPECT_GT(stats.granted_at_once, 8);
        EXPECT_GT(stats.queued, 500);
        EXPECT_GT(stats.handed_off, 250);
        EXPECT_GT(stats.downgrades, 30);
        EXPECT_GT(stats.cancels, 200);
        EXPECT_GT(stats.cancels_that_granted, 5);
        EXPECT_GT(stats.late_cancels, 20);
        EXPECT_GE(stats.max_queue, 8);
    }
}

}  // namespace
