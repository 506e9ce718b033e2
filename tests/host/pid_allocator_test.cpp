// The PID allocator: the cyclic policy, wrap-around and its floor, the
// limits, and a long random run against a std::set model of the policy.
#include "kernel/proc/pid_allocator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <set>
#include <vector>

using k::Errno;
using proc::PidAllocator;
using proc::PidSpaceConfig;

namespace {

// An allocator with its own bitmap storage.
struct PidSpace {
    explicit PidSpace(PidSpaceConfig config = {})
        : words(PidAllocator::words_needed(config.max_pid), ~uint64_t{0}),  // dirty: the constructor clears it
          pids(words.data(), config) {}

    uint32_t allocate() {
        auto result = pids.allocate();
        EXPECT_TRUE(result.ok()) << k::errno_name(result.error());
        return result.ok() ? result.value() : 0;
    }
    Errno allocate_error() {
        auto result = pids.allocate();
        EXPECT_FALSE(result.ok()) << "got PID " << (result.ok() ? result.value() : 0);
        return result.ok() ? Errno{} : result.error();
    }
    Errno specific_error(uint32_t pid) {
        auto result = pids.allocate_specific(pid);
        return result.ok() ? Errno{} : result.error();
    }

    std::vector<uint64_t> words;
    PidAllocator pids;
};

TEST(PidAllocator, WordsNeeded) {
    // Bits 0..max_pid.
    EXPECT_EQ(PidAllocator::words_needed(1), 1u);
    EXPECT_EQ(PidAllocator::words_needed(63), 1u);
    EXPECT_EQ(PidAllocator::words_needed(64), 2u);
    EXPECT_EQ(PidAllocator::words_needed(32768), 513u);
    EXPECT_EQ(PidAllocator::words_needed(PidAllocator::kPidMaxLimit), 65537u);
}

TEST(PidAllocator, DefaultsAreLinuxs) {
    PidSpace space;
    EXPECT_EQ(space.pids.max_pid(), 32768u);
    EXPECT_EQ(space.pids.wrap_floor(), 1u);
    EXPECT_EQ(space.pids.limit(), PidSpaceConfig::kNoLimit);
    EXPECT_EQ(space.pids.count(), 0u);
    EXPECT_EQ(space.pids.last_allocated(), 0u);
    // The constructor cleared the dirty storage.
    for (uint32_t pid = 0; pid <= 32769; ++pid) ASSERT_FALSE(space.pids.is_allocated(pid)) << pid;
}

TEST(PidAllocator, AllocatesSequentiallyFromOne) {
    PidSpace space;
    for (uint32_t expected = 1; expected <= 1000; ++expected) {
        ASSERT_EQ(space.allocate(), expected);
        EXPECT_TRUE(space.pids.is_allocated(expected));
    }
    EXPECT_EQ(space.pids.count(), 1000u);
    EXPECT_EQ(space.pids.last_allocated(), 1000u);
    EXPECT_FALSE(space.pids.is_allocated(0));
    EXPECT_FALSE(space.pids.is_allocated(1001));
}

TEST(PidAllocator, FreedPidsAreNotReusedBeforeTheWrap) {
    PidSpace space;
    for (int i = 0; i < 5; ++i) space.allocate();
    space.pids.free(2);
    space.pids.free(5);
    EXPECT_FALSE(space.pids.is_allocated(2));
    EXPECT_EQ(space.pids.count(), 3u);
    EXPECT_EQ(space.allocate(), 6u);
    EXPECT_EQ(space.allocate(), 7u);
}

TEST(PidAllocator, WrapsAroundSkippingLivePids) {
    PidSpace space({.max_pid = 10});
    for (uint32_t pid = 1; pid <= 10; ++pid) ASSERT_EQ(space.allocate(), pid);
    for (uint32_t pid : {3u, 4u, 8u}) space.pids.free(pid);

    EXPECT_EQ(space.allocate(), 3u);  // wrapped: lowest free from 1
    EXPECT_EQ(space.allocate(), 4u);  // then onwards from the cursor
    space.pids.free(1);               // below the cursor now: waits for the next wrap
    EXPECT_EQ(space.allocate(), 8u);
    EXPECT_EQ(space.allocate(), 1u);  // wrapped again
    EXPECT_EQ(space.allocate_error(), Errno::eagain);
}

TEST(PidAllocator, SearchContinuesAcrossWords) {
    PidSpace space({.max_pid = 300});
    for (uint32_t pid = 1; pid <= 300; ++pid) space.allocate();
    // Free PIDs at word edges: 63|64, 127|128, and the last one.
    for (uint32_t pid : {63u, 64u, 128u, 255u, 256u, 300u}) space.pids.free(pid);
    for (uint32_t pid : {63u, 64u, 128u, 255u, 256u, 300u}) EXPECT_EQ(space.allocate(), pid);
    EXPECT_EQ(space.allocate_error(), Errno::eagain);
}

TEST(PidAllocator, NeverHandsOutPidsAboveMax) {
    for (uint32_t max_pid : {1u, 2u, 62u, 63u, 64u, 65u, 127u, 128u, 129u, 200u}) {
        PidSpace space({.max_pid = max_pid});
        for (int round = 0; round < 3; ++round) {
            for (uint32_t pid = 1; pid <= max_pid; ++pid) ASSERT_EQ(space.allocate(), pid) << max_pid;
            EXPECT_EQ(space.allocate_error(), Errno::eagain) << max_pid;
            EXPECT_EQ(space.pids.count(), max_pid);
            for (uint32_t pid = 1; pid <= max_pid; ++pid) space.pids.free(pid);
        }
    }
}

TEST(PidAllocator, ExhaustionThenFreeThenAllocateAgain) {
    PidSpace space({.max_pid = 1000});
    for (uint32_t pid = 1; pid <= 1000; ++pid) space.allocate();
    EXPECT_EQ(space.allocate_error(), Errno::eagain);
    EXPECT_EQ(space.allocate_error(), Errno::eagain);
    EXPECT_EQ(space.pids.count(), 1000u);

    space.pids.free(517);
    EXPECT_EQ(space.allocate(), 517u);
    EXPECT_EQ(space.allocate_error(), Errno::eagain);

    space.pids.free(999);
    space.pids.free(2);
    EXPECT_EQ(space.allocate(), 999u);  // above the cursor (517) first
    EXPECT_EQ(space.allocate(), 2u);
}

TEST(PidAllocator, WrapFloorKeepsLowPidsOutOfTheCycle) {
    // The init namespace: after the first wrap, resume at 300.
    PidSpace space({.max_pid = 400, .wrap_floor = PidAllocator::kReservedPids});
    for (uint32_t pid = 1; pid <= 400; ++pid) ASSERT_EQ(space.allocate(), pid);
    space.pids.free(5);
    space.pids.free(299);
    space.pids.free(300);
    space.pids.free(350);

    EXPECT_EQ(space.allocate(), 300u);
    EXPECT_EQ(space.allocate(), 350u);
    // 5 and 299 are free but below the floor.
    EXPECT_EQ(space.allocate_error(), Errno::eagain);
    EXPECT_EQ(space.pids.count(), 398u);

    // They can still be taken by number.
    EXPECT_EQ(space.specific_error(5), Errno{});
    EXPECT_TRUE(space.pids.is_allocated(5));
}

TEST(PidAllocator, WrapFloorAppliesOnlyOnceTheCursorPassedIt) {
    // Linux: pid_min is 1 until the cursor is above RESERVED_PIDS.
    PidSpace space({.max_pid = 400, .wrap_floor = 300});
    for (uint32_t pid = 1; pid <= 10; ++pid) space.allocate();
    for (uint32_t pid = 11; pid <= 400; ++pid) ASSERT_EQ(space.specific_error(pid), Errno{});
    space.pids.free(5);
    EXPECT_EQ(space.allocate(), 5u);  // cursor 10 < 300: wraps to 1
    EXPECT_EQ(space.allocate_error(), Errno::eagain);
}

TEST(PidAllocator, WrapFloorEqualToMaxPid) {
    PidSpace space({.max_pid = 5, .wrap_floor = 5});
    for (uint32_t pid = 1; pid <= 5; ++pid) space.allocate();
    space.pids.free(1);
    EXPECT_EQ(space.allocate_error(), Errno::eagain);
    space.pids.free(5);
    EXPECT_EQ(space.allocate(), 5u);
}

TEST(PidAllocator, LimitCapsLivePids) {
    PidSpace space({.max_pid = 100, .limit = 3});
    EXPECT_EQ(space.allocate(), 1u);
    EXPECT_EQ(space.allocate(), 2u);
    EXPECT_EQ(space.allocate(), 3u);
    EXPECT_EQ(space.allocate_error(), Errno::eagain);
    EXPECT_EQ(space.specific_error(50), Errno::eagain);
    EXPECT_EQ(space.pids.count(), 3u);

    space.pids.free(2);
    EXPECT_EQ(space.allocate(), 4u);
    EXPECT_EQ(space.allocate_error(), Errno::eagain);

    // Lowering the limit below the count kills nothing, it stops new PIDs.
    space.pids.set_limit(1);
    EXPECT_EQ(space.pids.count(), 3u);
    space.pids.free(1);
    EXPECT_EQ(space.allocate_error(), Errno::eagain);
    space.pids.free(3);
    EXPECT_EQ(space.allocate_error(), Errno::eagain);
    space.pids.free(4);
    EXPECT_EQ(space.allocate(), 5u);

    space.pids.set_limit(PidSpaceConfig::kNoLimit);
    EXPECT_EQ(space.allocate(), 6u);
}

TEST(PidAllocator, ZeroLimitAllowsNothing) {
    PidSpace space({.limit = 0});
    EXPECT_EQ(space.allocate_error(), Errno::eagain);
    EXPECT_EQ(space.specific_error(1), Errno::eagain);
}

TEST(PidAllocator, AllocateSpecific) {
    PidSpace space({.max_pid = 100});
    EXPECT_EQ(space.specific_error(0), Errno::einval);
    EXPECT_EQ(space.specific_error(101), Errno::einval);
    EXPECT_EQ(space.specific_error(UINT32_MAX), Errno::einval);

    EXPECT_EQ(space.specific_error(100), Errno{});
    EXPECT_EQ(space.specific_error(100), Errno::eexist);
    EXPECT_EQ(space.specific_error(2), Errno{});
    EXPECT_EQ(space.pids.count(), 2u);
    // The cursor does not move: allocate() still starts at 1 and skips 2.
    EXPECT_EQ(space.pids.last_allocated(), 0u);
    EXPECT_EQ(space.allocate(), 1u);
    EXPECT_EQ(space.allocate(), 3u);

    EXPECT_EQ(space.specific_error(3), Errno::eexist);
    space.pids.free(3);
    EXPECT_EQ(space.specific_error(3), Errno{});
}

TEST(PidAllocator, FreeingAPidThatIsNotAllocatedIsABug) {
    PidSpace space({.max_pid = 100});
    space.allocate();
    EXPECT_DEATH(space.pids.free(2), "is_allocated");
    EXPECT_DEATH(space.pids.free(0), "is_allocated");
    EXPECT_DEATH(space.pids.free(101), "is_allocated");
    space.pids.free(1);
    EXPECT_DEATH(space.pids.free(1), "is_allocated");
}

TEST(PidAllocator, BadConfigurationsAreBugs) {
    std::vector<uint64_t> words(PidAllocator::words_needed(PidAllocator::kPidMaxLimit + 1));
    EXPECT_DEATH(PidAllocator(words.data(), {.max_pid = 0}), "max_pid");
    EXPECT_DEATH(PidAllocator(words.data(), {.max_pid = PidAllocator::kPidMaxLimit + 1}), "max_pid");
    EXPECT_DEATH(PidAllocator(words.data(), {.max_pid = 10, .wrap_floor = 0}), "wrap_floor");
    EXPECT_DEATH(PidAllocator(words.data(), {.max_pid = 10, .wrap_floor = 11}), "wrap_floor");
    EXPECT_DEATH(PidAllocator(nullptr), "nullptr");
}

TEST(PidAllocator, LargestSpace) {
    PidSpace space({.max_pid = PidAllocator::kPidMaxLimit});
    for (uint32_t pid = 1; pid <= PidAllocator::kPidMaxLimit; ++pid) {
        auto result = space.pids.allocate();
        ASSERT_TRUE(result.ok());
        ASSERT_EQ(result.value(), pid);
    }
    EXPECT_EQ(space.pids.count(), PidAllocator::kPidMaxLimit);
    EXPECT_EQ(space.allocate_error(), Errno::eagain);

    // One free PID far below the cursor: found by the wrap-around scan.
    space.pids.free(1234567);
    EXPECT_EQ(space.allocate(), 1234567u);
    space.pids.free(PidAllocator::kPidMaxLimit);
    space.pids.free(1);
    EXPECT_EQ(space.allocate(), PidAllocator::kPidMaxLimit);
    EXPECT_EQ(space.allocate(), 1u);
}

// The policy written out the slow, obvious way over a std::set.
class ModelPids {
public:
    ModelPids(uint32_t max_pid, uint32_t wrap_floor) : max_pid_(max_pid), wrap_floor_(wrap_floor) {}

    uint32_t allocate(uint32_t limit) {  // 0 = eagain
        if (live_.size() >= limit) return 0;
        for (uint32_t pid = last_ + 1; pid <= max_pid_; ++pid)
            if (take(pid)) return pid;
        const uint32_t floor = last_ >= wrap_floor_ ? wrap_floor_ : 1;
        for (uint32_t pid = floor; pid <= last_; ++pid)
            if (take(pid)) return pid;
        return 0;
    }
    bool take(uint32_t pid) {
        if (!live_.insert(pid).second) return false;
        last_ = pid;
        return true;
    }

    uint32_t max_pid_;
    uint32_t wrap_floor_;
    uint32_t last_ = 0;
    std::set<uint32_t> live_;
};

TEST(PidAllocator, RandomOperationsMatchTheModel) {
    struct Case {
        uint32_t max_pid;
        uint32_t wrap_floor;
    };
    for (const Case c : {Case{1, 1}, Case{64, 1}, Case{100, 1}, Case{129, 1}, Case{500, 300}, Case{1000, 37},
                         Case{4096, 300}}) {
        SCOPED_TRACE(testing::Message() << "max_pid " << c.max_pid << " wrap_floor " << c.wrap_floor);
        std::mt19937 rng(c.max_pid * 7919 + c.wrap_floor);
        PidSpace space({.max_pid = c.max_pid, .wrap_floor = c.wrap_floor});
        ModelPids model(c.max_pid, c.wrap_floor);
        uint32_t limit = PidSpaceConfig::kNoLimit;

        for (int step = 0; step < 40000; ++step) {
            const unsigned roll = rng() % 100;
            // Drift between mostly allocating and mostly freeing, so the
            // space fills up, runs dry and empties again.
            const bool filling = (step / 2000) % 2 == 0;
            if (roll < (filling ? 60u : 35u)) {
                const uint32_t expected = model.allocate(limit);
                auto result = space.pids.allocate();
                if (expected == 0) {
                    ASSERT_FALSE(result.ok()) << "step " << step;
                    ASSERT_EQ(result.error(), Errno::eagain);
                } else {
                    ASSERT_TRUE(result.ok()) << "step " << step;
                    ASSERT_EQ(result.value(), expected) << "step " << step;
                }
            } else if (roll < 90) {
                if (model.live_.empty()) continue;
                // A random live PID: the first at or after a random point.
                auto it = model.live_.lower_bound(1 + rng() % c.max_pid);
                if (it == model.live_.end()) it = model.live_.begin();
                const uint32_t pid = *it;
                model.live_.erase(it);
                space.pids.free(pid);
            } else if (roll < 97) {
                const uint32_t pid = rng() % (c.max_pid + 2);
                const Errno error = space.specific_error(pid);
                if (pid == 0 || pid > c.max_pid)
                    ASSERT_EQ(error, Errno::einval);
                else if (model.live_.count(pid))
                    ASSERT_EQ(error, Errno::eexist);
                else if (model.live_.size() >= limit)
                    ASSERT_EQ(error, Errno::eagain);
                else {
                    ASSERT_EQ(error, Errno{});
                    model.live_.insert(pid);  // the cursor stays
                }
            } else {
                limit = rng() % 4 == 0 ? PidSpaceConfig::kNoLimit : rng() % (c.max_pid + 1);
                space.pids.set_limit(limit);
            }

            ASSERT_EQ(space.pids.count(), model.live_.size()) << "step " << step;
            ASSERT_EQ(space.pids.last_allocated(), model.last_) << "step " << step;
            if (step % 1000 == 0) {
                for (uint32_t pid = 0; pid <= c.max_pid + 1; ++pid)
                    ASSERT_EQ(space.pids.is_allocated(pid), model.live_.count(pid) == 1) << pid;
            }
        }
    }
}

}  // namespace
