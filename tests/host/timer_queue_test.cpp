#include "kernel/time/timer_queue.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <set>
#include <tuple>
#include <vector>

namespace {

using ktime::Timer;
using ktime::TimerQueue;

// Timers that record their id in a shared log when they fire.
struct Fixture {
    static constexpr int kTimers = 16;
    TimerQueue queue;
    std::vector<int> fired;
    std::array<Timer, kTimers> timers;
    std::array<int, kTimers> ids;

    Fixture() {
        for (int i = 0; i < kTimers; ++i) {
            ids[i] = i;
            timers[i].callback = &Fixture::record;
            timers[i].context = this;
        }
    }
    ~Fixture() {
        for (Timer& timer : timers) queue.cancel(timer);
    }
    int id_of(const Timer& timer) const { return static_cast<int>(&timer - &timers[0]); }
    static void record(Timer& timer, void* context) {
        Fixture* self = static_cast<Fixture*>(context);
        self->fired.push_back(self->id_of(timer));
    }
};

TEST(TimerQueue, EmptyQueue) {
    TimerQueue queue;
    EXPECT_TRUE(queue.empty());
    EXPECT_EQ(queue.next_deadline(), ktime::kNoDeadline);
    EXPECT_EQ(queue.expire(UINT64_MAX), 0u);
    Timer timer;
    EXPECT_FALSE(timer.armed());
    EXPECT_FALSE(queue.cancel(timer));
    EXPECT_TRUE(queue.check_invariants());
}

TEST(TimerQueue, FiresInDeadlineOrder) {
    Fixture f;
    f.queue.arm(f.timers[0], 300);
    f.queue.arm(f.timers[1], 100);
    f.queue.arm(f.timers[2], 200);
    f.queue.arm(f.timers[3], 1000);
    EXPECT_EQ(f.queue.size(), 4u);
    EXPECT_TRUE(f.timers[0].armed());
    EXPECT_EQ(f.queue.next_deadline(), 100u);
    EXPECT_EQ(f.queue.expire(99), 0u);
    EXPECT_EQ(f.queue.expire(500), 3u);
    EXPECT_EQ(f.fired, (std::vector<int>{1, 2, 0}));
    EXPECT_FALSE(f.timers[1].armed());
    EXPECT_EQ(f.queue.next_deadline(), 1000u);
    EXPECT_EQ(f.queue.size(), 1u);
    EXPECT_TRUE(f.queue.check_invariants());
}

TEST(TimerQueue, EqualDeadlinesFireInArmingOrder) {
    Fixture f;
    for (int i : {4, 2, 7, 1, 5}) f.queue.arm(f.timers[i], 50);
    f.queue.arm(f.timers[2], 50);  // re-arming moves it behind the others
    f.queue.arm(f.timers[9], 49);
    EXPECT_EQ(f.queue.expire(50), 6u);
    EXPECT_EQ(f.fired, (std::vector<int>{9, 4, 7, 1, 5, 2}));
}

TEST(TimerQueue, DeadlineEqualToNowFires) {
    Fixture f;
    f.queue.arm(f.timers[0], 1000);
    f.queue.arm(f.timers[1], 1001);
    f.queue.arm(f.timers[2], 0);
    EXPECT_EQ(f.queue.expire(999), 1u);  // only the one at 0
    EXPECT_EQ(f.queue.expire(1000), 1u);
    EXPECT_EQ(f.fired, (std::vector<int>{2, 0}));
    EXPECT_EQ(f.queue.next_deadline(), 1001u);
    EXPECT_EQ(f.queue.expire(1001), 1u);
    EXPECT_TRUE(f.queue.empty());
    // UINT64_MAX is a deadline too: "never" for next_deadline(), but it fires at the end of time.
    f.queue.arm(f.timers[3], UINT64_MAX);
    EXPECT_EQ(f.queue.next_deadline(), ktime::kNoDeadline);
    EXPECT_EQ(f.queue.expire(UINT64_MAX - 1), 0u);
    EXPECT_EQ(f.queue.expire(UINT64_MAX), 1u);
}

TEST(TimerQueue, CancelAnyPosition) {
    Fixture f;
    for (int i = 0; i < 10; ++i) f.queue.arm(f.timers[i], 100 + 10 * i);
    EXPECT_TRUE(f.queue.cancel(f.timers[0]));  // the earliest: next_deadline moves
    EXPECT_EQ(f.queue.next_deadline(), 110u);
    EXPECT_TRUE(f.queue.cancel(f.timers[5]));
    EXPECT_TRUE(f.queue.cancel(f.timers[9]));
    EXPECT_FALSE(f.queue.cancel(f.timers[9]));  // already cancelled
    EXPECT_FALSE(f.timers[5].armed());
    EXPECT_TRUE(f.queue.check_invariants());
    EXPECT_EQ(f.queue.size(), 7u);
    EXPECT_EQ(f.queue.expire(130), 3u);
    EXPECT_FALSE(f.queue.cancel(f.timers[2]));  // already fired
    EXPECT_EQ(f.queue.expire(1000), 4u);
    EXPECT_EQ(f.fired, (std::vector<int>{1, 2, 3, 4, 6, 7, 8}));
}

// A periodic timer: re-arms itself one period after its previous deadline.
struct Periodic {
    TimerQueue* queue;
    uint64_t period;
    int runs = 0;
    static void tick(Timer& timer, void* context) {
        Periodic* self = static_cast<Periodic*>(context);
        ++self->runs;
        self->queue->arm(timer, timer.deadline_ns + self->period);
    }
};

TEST(TimerQueue, CallbackRearmsItself) {
    TimerQueue queue;
    Periodic periodic{&queue, 10};
    Timer timer(&Periodic::tick, &periodic);
    queue.arm(timer, 10);
    EXPECT_EQ(queue.expire(10), 1u);
    EXPECT_TRUE(timer.armed());
    EXPECT_EQ(queue.next_deadline(), 20u);
    // Late by several periods: one run per expire() call, the rest is
    // reported by next_deadline() having passed, not looped over.
    EXPECT_EQ(queue.expire(55), 1u);
    EXPECT_EQ(queue.next_deadline(), 30u);
    int calls = 0;
    while (queue.next_deadline() <= 55) {
        queue.expire(55);
        ++calls;
    }
    EXPECT_EQ(calls, 3);  // the runs due at 30, 40 and 50
    EXPECT_EQ(queue.next_deadline(), 60u);
    EXPECT_EQ(periodic.runs, 5);
    queue.cancel(timer);
}

// A callback that re-arms its timer in the past must not hang expire().
TEST(TimerQueue, RearmIntoThePastIsBounded) {
    TimerQueue queue;
    int runs = 0;
    struct Context {
        TimerQueue* queue;
        int* runs;
    } context{&queue, &runs};
    Timer timer(
        [](Timer& self, void* raw) {
            auto* c = static_cast<Context*>(raw);
            ++*c->runs;
            c->queue->arm(self, 0);  // always overdue
        },
        &context);
    queue.arm(timer, 5);
    EXPECT_EQ(queue.expire(100), 1u);
    EXPECT_EQ(runs, 1);
    EXPECT_TRUE(timer.armed());
    EXPECT_EQ(queue.next_deadline(), 0u);  // the kernel would fire again at once
    EXPECT_EQ(queue.expire(100), 1u);
    EXPECT_EQ(runs, 2);
    queue.cancel(timer);
}

TEST(TimerQueue, CallbackCancelsOrMovesTimersOfTheSameBatch) {
    Fixture f;
    TimerQueue& queue = f.queue;
    // Timer 0 fires first and cancels 1, moves 2 into the future, arms 3
    // (already due) and 4 (future); 5 fires normally.
    struct Actions {
        Fixture* f;
        bool cancel_result = false;
    } actions{&f};
    Timer first(
        [](Timer&, void* raw) {
            auto* a = static_cast<Actions*>(raw);
            a->f->fired.push_back(0);
            a->cancel_result = a->f->queue.cancel(a->f->timers[1]);
            a->f->queue.arm(a->f->timers[2], 500);
            a->f->queue.arm(a->f->timers[3], 1);
            a->f->queue.arm(a->f->timers[4], 400);
        },
        &actions);
    queue.arm(first, 10);
    queue.arm(f.timers[1], 20);
    queue.arm(f.timers[2], 30);
    queue.arm(f.timers[5], 40);
    EXPECT_EQ(queue.expire(100), 2u);  // `first` and 5
    EXPECT_TRUE(actions.cancel_result);  // 1 was still going to fire: cancel stopped it
    EXPECT_EQ(f.fired, (std::vector<int>{0, 5}));
    EXPECT_EQ(queue.next_deadline(), 1u);  // 3 waits for the next call
    EXPECT_EQ(queue.expire(450), 2u);
    EXPECT_EQ(f.fired, (std::vector<int>{0, 5, 3, 4}));
    EXPECT_EQ(queue.next_deadline(), 500u);
    EXPECT_TRUE(queue.check_invariants());
}

TEST(TimerQueue, RunnerGetsDisarmedTimersInOrder) {
    Fixture f;
    f.queue.arm(f.timers[3], 7);
    f.queue.arm(f.timers[1], 3);
    f.queue.arm(f.timers[2], 3);
    std::vector<int> seen;
    size_t ran = f.queue.expire(10, [&](Timer& timer) {
        EXPECT_FALSE(timer.armed());
        seen.push_back(f.id_of(timer));
    });
    EXPECT_EQ(ran, 3u);
    EXPECT_EQ(seen, (std::vector<int>{1, 2, 3}));
    EXPECT_TRUE(f.fired.empty());  // the runner, not the callbacks, ran
}

// 10,000 random operations against a reference model that follows the
// documented rules literally: a std::set keyed by (deadline, seq), and
// expire() working through the batch that was due at entry. Callbacks do
// random things to the queue (re-arm themselves in the past or future, cancel
// or arm others); the model replays the same actions.
TEST(TimerQueue, RandomOperationsMatchReferenceModel) {
    constexpr int kTimers = 64;
    constexpr int kSteps = 10'000;
    enum class Action { Nothing, RearmPast, RearmFuture, CancelOther, ArmOtherNow };
    struct Harness {
        TimerQueue queue;
        std::array<Timer, kTimers> timers;
        std::array<Action, kTimers> action{};
        std::array<int, kTimers> other{};
        uint64_t now = 1'000;
        std::vector<int> fired;
    };
    auto h = std::make_unique<Harness>();

    // The model.
    enum class State { Idle, Pending, Expiring };
    std::array<State, kTimers> state{};
    std::array<uint64_t, kTimers> deadline{};
    std::array<uint64_t, kTimers> seq{};
    std::set<std::tuple<uint64_t, uint64_t, int>> pending;
    std::set<std::tuple<uint64_t, uint64_t, int>> expiring;
    uint64_t next_seq = 0;
    auto model_cancel = [&](int i) {
        bool was = state[i] != State::Idle;
        if (state[i] == State::Pending) pending.erase({deadline[i], seq[i], i});
        if (state[i] == State::Expiring) expiring.erase({deadline[i], seq[i], i});
        state[i] = State::Idle;
        return was;
    };
    auto model_arm = [&](int i, uint64_t when) {
        model_cancel(i);
        deadline[i] = when;
        seq[i] = next_seq++;
        state[i] = State::Pending;
        pending.insert({when, seq[i], i});
    };
    // What a firing timer does, replayed on the model (the real callback
    // below does the same to the real queue).
    auto model_act = [&](int i) {
        switch (h->action[i]) {
        case Action::Nothing: break;
        case Action::RearmPast: model_arm(i, h->now - 5); break;
        case Action::RearmFuture: model_arm(i, h->now + 50); break;
        case Action::CancelOther: model_cancel(h->other[i]); break;
        case Action::ArmOtherNow: model_arm(h->other[i], h->now); break;
        }
    };
    for (int i = 0; i < kTimers; ++i) {
        h->timers[i].context = h.get();
        h->timers[i].callback = [](Timer& timer, void* raw) {
            Harness& harness = *static_cast<Harness*>(raw);
            int id = static_cast<int>(&timer - &harness.timers[0]);
            harness.fired.push_back(id);
            auto arm = [&](int j, uint64_t when) { harness.queue.arm(harness.timers[j], when); };
            auto cancel = [&](int j) { harness.queue.cancel(harness.timers[j]); };
            switch (harness.action[id]) {
            case Action::Nothing: break;
            case Action::RearmPast: arm(id, harness.now - 5); break;
            case Action::RearmFuture: arm(id, harness.now + 50); break;
            case Action::CancelOther: cancel(harness.other[id]); break;
            case Action::ArmOtherNow: arm(harness.other[id], harness.now); break;
            }
        };
    }

    std::mt19937 random(99);
    for (int step = 0; step < kSteps; ++step) {
        int i = static_cast<int>(random() % kTimers);
        switch (random() % 4) {
        case 0:
        case 1: {  // arm, around now: some overdue, some exactly now, many ties
            uint64_t when = h->now - 20 + random() % 120;
            if (random() % 8 == 0) when = h->now;
            h->action[i] = static_cast<Action>(random() % 5);
            h->other[i] = static_cast<int>(random() % kTimers);
            h->queue.arm(h->timers[i], when);
            model_arm(i, when);
            break;
        }
        case 2: {
            bool was_armed = model_cancel(i);
            ASSERT_EQ(h->queue.cancel(h->timers[i]), was_armed) << "step " << step;
            break;
        }
        default: {  // time passes (or not), the timer interrupt runs expire()
            h->now += random() % 30;
            h->fired.clear();
            size_t ran = h->queue.expire(h->now);
            // Model: move the due prefix into the batch, then work through it.
            std::vector<int> expected;
            while (!pending.empty() && std::get<0>(*pending.begin()) <= h->now) {
                auto first = *pending.begin();
                pending.erase(pending.begin());
                expiring.insert(first);
                state[std::get<2>(first)] = State::Expiring;
            }
            while (!expiring.empty()) {
                int id = std::get<2>(*expiring.begin());
                expiring.erase(expiring.begin());
                state[id] = State::Idle;
                expected.push_back(id);
                model_act(id);
            }
            ASSERT_EQ(h->fired, expected) << "step " << step;
            ASSERT_EQ(ran, expected.size());
            break;
        }
        }
        ASSERT_TRUE(h->queue.check_invariants()) << "step " << step;
        ASSERT_EQ(h->queue.size(), pending.size() + expiring.size());
        ASSERT_EQ(h->queue.next_deadline(), pending.empty() ? ktime::kNoDeadline : std::get<0>(*pending.begin()));
        for (int t = 0; t < kTimers; ++t) ASSERT_EQ(h->timers[t].armed(), state[t] != State::Idle);
    }
    for (Timer& timer : h->timers) h->queue.cancel(timer);
}

}  // namespace
