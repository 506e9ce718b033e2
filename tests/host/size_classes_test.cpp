#include "kernel/mm/size_classes.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace {

using mm::kKmallocClasses;
using mm::kKmallocClassCount;
using mm::kmalloc_class_for;

TEST(KmallocSizeClasses, TheClassesAreTheAgreedOnes) {
    const size_t expected[] = {16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096};
    ASSERT_EQ(kKmallocClassCount, sizeof(expected) / sizeof(expected[0]));
    for (size_t i = 0; i < kKmallocClassCount; ++i) {
        EXPECT_EQ(kKmallocClasses[i], expected[i]);
        EXPECT_EQ(std::string(mm::kKmallocClassNames[i]), "kmalloc-" + std::to_string(expected[i]));
    }
    EXPECT_EQ(mm::kKmallocMaxClassSize, 4096u);
}

TEST(KmallocSizeClasses, ExactSizesMapToTheirOwnClassAndOneMoreToTheNext) {
    for (size_t i = 0; i < kKmallocClassCount; ++i) {
        size_t size = kKmallocClasses[i];
        EXPECT_EQ(kmalloc_class_for(size), static_cast<int>(i)) << size;
        EXPECT_EQ(kmalloc_class_for(size - 1), static_cast<int>(i)) << size - 1;
        int next = i + 1 < kKmallocClassCount ? static_cast<int>(i + 1) : -1;
        EXPECT_EQ(kmalloc_class_for(size + 1), next) << size + 1;
    }
}

TEST(KmallocSizeClasses, Boundaries) {
    EXPECT_EQ(kmalloc_class_for(0), 0);
    EXPECT_EQ(kmalloc_class_for(1), 0);
    EXPECT_EQ(kmalloc_class_for(17), 1);
    EXPECT_EQ(kmalloc_class_for(65), 3);   // 96
    EXPECT_EQ(kmalloc_class_for(97), 4);   // 128
    EXPECT_EQ(kmalloc_class_for(129), 5);  // 192
    EXPECT_EQ(kmalloc_class_for(193), 6);  // 256
    EXPECT_EQ(kmalloc_class_for(257), 7);  // 512
    EXPECT_EQ(kmalloc_class_for(4095), 10);
    EXPECT_EQ(kmalloc_class_for(4096), 10);
    EXPECT_EQ(kmalloc_class_for(4097), -1);
    EXPECT_EQ(kmalloc_class_for(1u << 20), -1);
    EXPECT_EQ(kmalloc_class_for(SIZE_MAX), -1);
    EXPECT_EQ(kmalloc_class_for(SIZE_MAX / 2 + 1), -1);
}

TEST(KmallocSizeClasses, EverySizeGetsTheSmallestClassThatHoldsIt) {
    for (size_t bytes = 1; bytes <= 3 * 4096; ++bytes) {
        int index = kmalloc_class_for(bytes);
        if (bytes > 4096) {
            ASSERT_EQ(index, -1) << bytes;
            continue;
        }
        ASSERT_GE(index, 0) << bytes;
        ASSERT_LT(static_cast<size_t>(index), kKmallocClassCount);
        ASSERT_GE(kKmallocClasses[index], bytes) << bytes;
        if (index > 0) {
            ASSERT_LT(kKmallocClasses[index - 1], bytes) << bytes;
        }
    }
}

}  // namespace
