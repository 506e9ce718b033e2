#include "kernel/mm/boot_memory.h"

#include <gtest/gtest.h>

namespace {

using mm::BootMemory;

TEST(BootMemory, MergesAndTrimsToPages) {
    BootMemory m;
    ASSERT_TRUE(m.add_usable(0x1001, 0x3000));  // trimmed to [0x2000, 0x4000)
    ASSERT_TRUE(m.add_usable(0x4000, 0x1000));  // adjacent: merged
    ASSERT_EQ(m.range_count(), 1u);
    EXPECT_EQ(m.range(0).base, 0x2000u);
    EXPECT_EQ(m.range(0).end, 0x5000u);
    ASSERT_TRUE(m.add_usable(0x10000, 0x1000));
    EXPECT_EQ(m.range_count(), 2u);
    EXPECT_EQ(m.free_bytes(), 0x4000u);
}

TEST(BootMemory, ReserveSplitsAndRemoves) {
    BootMemory m;
    m.add_usable(0, 0x10000);
    ASSERT_TRUE(m.reserve(0x3000, 0x1800));  // widened to [0x3000, 0x5000)
    ASSERT_EQ(m.range_count(), 2u);
    EXPECT_EQ(m.range(0).end, 0x3000u);
    EXPECT_EQ(m.range(1).base, 0x5000u);
    ASSERT_TRUE(m.reserve(0, 0x3000));
    ASSERT_EQ(m.range_count(), 1u);
    ASSERT_TRUE(m.reserve(0xf000, 0x100000));  // past the end
    EXPECT_EQ(m.range(0).end, 0xf000u);
    EXPECT_EQ(m.free_bytes(), 0xa000u);
}

TEST(BootMemory, AllocatesFromTheTopBelowLimitAndAligned) {
    BootMemory m;
    m.add_usable(0x100000, 0x100000);     // [1M, 2M)
    m.add_usable(0x40000000, 0x200000);   // [1G, 1G+2M)
    auto low = m.allocate(0x1000, 0x1000, 0x200000);
    ASSERT_TRUE(low.ok());
    EXPECT_EQ(low.value(), 0x1ff000u);
    auto high = m.allocate(0x3000, 0x200000);
    ASSERT_TRUE(high.ok());
    EXPECT_EQ(high.value(), 0x40000000u);
    EXPECT_EQ(high.value() % 0x200000, 0u);
    // The allocation is gone from the free ranges.
    for (size_t i = 0; i < m.range_count(); ++i) {
        EXPECT_TRUE(m.range(i).end <= 0x40000000u || m.range(i).base >= 0x40003000u);
    }
    EXPECT_FALSE(m.allocate(0x1000000, 0x1000).ok());
    EXPECT_FALSE(m.allocate(0x1000, 0x1000, 0x100000).ok());
}

TEST(BootMemory, FullTableDropsRangesWithoutCorruption) {
    BootMemory m;
    for (uint64_t i = 0; i < BootMemory::kMaxRanges; ++i) ASSERT_TRUE(m.add_usable(i * 0x10000, 0x1000));
    EXPECT_FALSE(m.add_usable(0x7000000000, 0x1000));
    EXPECT_EQ(m.range_count(), BootMemory::kMaxRanges);
    for (size_t i = 1; i < m.range_count(); ++i) EXPECT_LT(m.range(i - 1).end, m.range(i).base);
}

}  // namespace
