#include "kernel/mm/slab.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernel/mm/size_classes.h"

namespace {

using mm::SlabCache;

// Hands out aligned_alloc blocks and remembers which are outstanding, so a
// test can see slabs being returned (or leaked). Can be told to run dry.
class FakeSlabSource final : public mm::SlabPageSource {
public:
    ~FakeSlabSource() {
        for (auto [slab, bytes] : outstanding_) std::free(slab);
    }

    void* allocate_slab(size_t bytes) override {
        EXPECT_GE(bytes, 4096u);
        EXPECT_EQ(bytes & (bytes - 1), 0u) << "slab size " << bytes << " is not a power of two";
        if (limit_ >= 0 && static_cast<long>(outstanding_.size()) >= limit_) return nullptr;
        void* slab = std::aligned_alloc(bytes, bytes);
        if (slab) {
            outstanding_[slab] = bytes;
            ++allocations_;
        }
        return slab;
    }

    void free_slab(void* slab, size_t bytes) override {
        auto it = outstanding_.find(slab);
        ASSERT_NE(it, outstanding_.end()) << "freeing a slab that was never handed out";
        EXPECT_EQ(it->second, bytes);
        outstanding_.erase(it);
        std::free(slab);
    }

    size_t outstanding() const { return outstanding_.size(); }
    size_t allocations() const { return allocations_; }
    void set_limit(long slabs) { limit_ = slabs; }

private:
    std::map<void*, size_t> outstanding_;
    size_t allocations_ = 0;
    long limit_ = -1;
};

struct CorruptionReport {
    std::string cache;
    std::string what;
    const void* object;
};
std::vector<CorruptionReport> g_reports;

void record_corruption(const char* cache_name, const char* what, const void* object) {
    g_reports.push_back({cache_name, what, object});
}

// Tests that provoke corruption record it instead of dying.
class SlabCacheCorruption : public ::testing::Test {
protected:
    void SetUp() override {
        g_reports.clear();
        previous_ = mm::set_slab_corruption_handler(record_corruption);
    }
    void TearDown() override { mm::set_slab_corruption_handler(previous_); }
    mm::SlabCorruptionHandler previous_ = nullptr;
};

bool reported(const std::string& what_part, const void* object) {
    for (const CorruptionReport& r : g_reports)
        if (r.what.find(what_part) != std::string::npos && r.object == object) return true;
    return false;
}

size_t natural_alignment(size_t size) {
    // Powers of two aligned to themselves (up to a page); 96 and 192 to 32.
    return (size & (size - 1)) == 0 ? std::min<size_t>(size, 4096) : 32;
}

// Fills each object with its own byte pattern, checks alignment and that no
// two objects overlap (intervals sorted by address must not intersect, and no
// pattern must have been overwritten by a neighbour).
void allocate_many_and_check(size_t size, size_t alignment, bool debug, size_t count) {
    SCOPED_TRACE("size " + std::to_string(size) + (debug ? " debug" : " no debug"));
    FakeSlabSource source;
    {
        SlabCache cache("test", size, alignment, source, debug);
        EXPECT_GE(cache.object_size(), size);
        EXPECT_GE(cache.objects_per_slab(), SlabCache::kMinObjectsPerSlab);
        EXPECT_LE(cache.objects_per_slab() * cache.slot_size(), cache.slab_bytes());

        std::vector<unsigned char*> objects;
        for (size_t i = 0; i < count; ++i) {
            auto* object = static_cast<unsigned char*>(cache.allocate());
            ASSERT_NE(object, nullptr);
            ASSERT_EQ(reinterpret_cast<uintptr_t>(object) % alignment, 0u);
            std::memset(object, static_cast<int>(i & 0xff), size);
            objects.push_back(object);
        }
        EXPECT_EQ(cache.objects_in_use(), count);
        size_t expected_slabs = (count + cache.objects_per_slab() - 1) / cache.objects_per_slab();
        EXPECT_EQ(cache.slab_count(), expected_slabs);
        EXPECT_EQ(source.outstanding(), expected_slabs);

        for (size_t i = 0; i < count; ++i)
            for (size_t b = 0; b < size; ++b)
                ASSERT_EQ(objects[i][b], static_cast<unsigned char>(i & 0xff)) << "object " << i << " overwritten";
        std::vector<unsigned char*> sorted = objects;
        std::sort(sorted.begin(), sorted.end());
        for (size_t i = 1; i < sorted.size(); ++i) ASSERT_GE(sorted[i] - sorted[i - 1], static_cast<ptrdiff_t>(size));

        std::mt19937 random(static_cast<uint32_t>(size));
        std::shuffle(objects.begin(), objects.end(), random);
        for (unsigned char* object : objects) cache.free(object);
        EXPECT_EQ(cache.objects_in_use(), 0u);
        EXPECT_EQ(cache.slab_count(), 1u);  // one empty slab stays cached
        EXPECT_EQ(source.outstanding(), 1u);
    }
    EXPECT_EQ(source.outstanding(), 0u) << "the cache leaked slabs";
}

TEST(SlabCache, EveryKmallocClassWithoutOverlapOrMisalignment) {
    for (size_t size : mm::kKmallocClasses) {
        allocate_many_and_check(size, natural_alignment(size), /*debug=*/false, 1000);
        allocate_many_and_check(size, natural_alignment(size), /*debug=*/true, 1000);
        allocate_many_and_check(size, 8, /*debug=*/true, 300);
    }
}

TEST(SlabCache, OddSizesAndLargeAlignments) {
    allocate_many_and_check(1, 8, false, 500);
    allocate_many_and_check(24, 64, false, 500);
    allocate_many_and_check(24, 64, true, 500);
    allocate_many_and_check(100, 128, true, 500);
    allocate_many_and_check(3000, 4096, false, 50);
    allocate_many_and_check(70000, 8, true, 20);
}

TEST(SlabCache, SlabSizeIsTheSmallestHoldingEightObjects) {
    FakeSlabSource source;
    for (bool debug : {false, true}) {
        for (size_t size : mm::kKmallocClasses) {
            SlabCache cache("size", size, natural_alignment(size), source, debug);
            SCOPED_TRACE(size);
            EXPECT_GE(cache.slab_bytes(), 4096u);
            EXPECT_EQ(cache.slab_bytes() & (cache.slab_bytes() - 1), 0u);
            EXPECT_GE(cache.objects_per_slab(), 8u);
            // Half the slab could not hold 8 slots (header aside).
            if (cache.slab_bytes() > 4096) {
                EXPECT_LT(cache.slab_bytes() / 2 / cache.slot_size(), 9u);
            }
            if (!debug && size >= 16 && natural_alignment(size) >= 16) {
                EXPECT_EQ(cache.slot_size(), size);
            }
            if (debug) {
                EXPECT_GE(cache.slot_size(), size + SlabCache::kRedZoneBytes);
            }
        }
    }
    EXPECT_EQ(source.allocations(), 0u);  // slabs are only taken on demand
}

TEST(SlabCache, FreedObjectIsReusedFirst) {
    FakeSlabSource source;
    SlabCache cache("reuse", 64, 64, source, true);
    void* a = cache.allocate();
    void* b = cache.allocate();
    EXPECT_EQ(static_cast<char*>(b) - static_cast<char*>(a), static_cast<ptrdiff_t>(cache.slot_size()));
    cache.free(a);
    EXPECT_EQ(cache.allocate(), a);
    cache.free(a);
    cache.free(b);
    EXPECT_EQ(cache.objects_in_use(), 0u);
}

TEST(SlabCache, FreeNullDoesNothing) {
    FakeSlabSource source;
    SlabCache cache("null", 32, 8, source, true);
    cache.free(nullptr);
    EXPECT_EQ(cache.objects_in_use(), 0u);
}

TEST(SlabCache, PartialSlabsArePreferredOverEmptyOnes) {
    FakeSlabSource source;
    SlabCache cache("partial", 256, 256, source, false);
    const size_t per_slab = cache.objects_per_slab();
    std::vector<void*> objects;
    for (size_t i = 0; i < 2 * per_slab + 1; ++i) objects.push_back(cache.allocate());
    ASSERT_EQ(cache.slab_count(), 3u);
    cache.free(objects.back());  // the third slab is empty now, and cached
    objects.pop_back();
    EXPECT_EQ(cache.slab_count(), 3u);
    void* from_first_slab = objects[3];
    cache.free(from_first_slab);
    EXPECT_EQ(cache.allocate(), from_first_slab);
    for (void* object : objects) cache.free(object);
}

TEST(SlabCache, OnlyOneEmptySlabIsKept) {
    FakeSlabSource source;
    SlabCache cache("empty", 512, 512, source, true);
    const size_t per_slab = cache.objects_per_slab();
    std::vector<void*> objects;
    for (size_t i = 0; i < 3 * per_slab; ++i) objects.push_back(cache.allocate());
    ASSERT_EQ(source.outstanding(), 3u);
    // Empty the first slab: it is kept.
    for (size_t i = 0; i < per_slab; ++i) cache.free(objects[i]);
    EXPECT_EQ(cache.slab_count(), 3u);
    EXPECT_EQ(source.outstanding(), 3u);
    // Empty the second: it goes back to the source.
    for (size_t i = per_slab; i < 2 * per_slab; ++i) cache.free(objects[i]);
    EXPECT_EQ(cache.slab_count(), 2u);
    EXPECT_EQ(source.outstanding(), 2u);
    // New allocations reuse the cached empty slab before asking the source.
    const size_t allocations = source.allocations();
    std::vector<void*> again;
    for (size_t i = 0; i < per_slab; ++i) again.push_back(cache.allocate());
    EXPECT_EQ(source.allocations(), allocations);
    for (void* object : again) cache.free(object);
    for (size_t i = 2 * per_slab; i < 3 * per_slab; ++i) cache.free(objects[i]);
    EXPECT_EQ(source.outstanding(), 1u);
    cache.shrink();
    EXPECT_EQ(source.outstanding(), 0u);
    EXPECT_EQ(cache.slab_count(), 0u);
}

TEST(SlabCache, AllocationFailsCleanlyWhenTheSourceRunsDry) {
    FakeSlabSource source;
    source.set_limit(1);
    SlabCache cache("dry", 128, 128, source, true);
    std::vector<void*> objects;
    for (size_t i = 0; i < cache.objects_per_slab(); ++i) {
        objects.push_back(cache.allocate());
        ASSERT_NE(objects.back(), nullptr);
    }
    EXPECT_EQ(cache.allocate(), nullptr);
    EXPECT_EQ(cache.allocate(), nullptr);
    EXPECT_EQ(cache.objects_in_use(), cache.objects_per_slab());
    cache.free(objects[0]);
    EXPECT_EQ(cache.allocate(), objects[0]);
    for (void* object : objects) cache.free(object);
}

TEST(SlabCache, RandomAllocFreeMixKeepsCounts) {
    FakeSlabSource source;
    {
        SlabCache cache("mix", 96, 32, source, true);
        std::mt19937 random(3);
        std::vector<void*> live;
        for (int step = 0; step < 20000; ++step) {
            if (live.empty() || random() % 3 != 0) {
                void* object = cache.allocate();
                ASSERT_NE(object, nullptr);
                std::memset(object, 0x11, cache.object_size());  // in bounds: no report
                live.push_back(object);
            } else {
                size_t i = random() % live.size();
                std::swap(live[i], live.back());
                cache.free(live.back());
                live.pop_back();
            }
            ASSERT_EQ(cache.objects_in_use(), live.size());
        }
        EXPECT_LE(cache.slab_count(), live.size() / cache.objects_per_slab() + 2);
        for (void* object : live) cache.free(object);
        EXPECT_EQ(cache.slab_count(), 1u);
    }
    EXPECT_EQ(source.outstanding(), 0u);
}

TEST_F(SlabCacheCorruption, FreshObjectsArePoisonedAndCleanUseIsNotReported) {
    FakeSlabSource source;
    SlabCache cache("clean", 64, 64, source, true);
    auto* object = static_cast<unsigned char*>(cache.allocate());
    for (size_t i = 0; i < 64; ++i) ASSERT_EQ(object[i], SlabCache::kPoisonByte);
    std::memset(object, 0, 64);
    cache.free(object);
    for (size_t i = 0; i < 64; ++i) ASSERT_EQ(object[i], SlabCache::kPoisonByte) << "freed object not poisoned";
    EXPECT_EQ(cache.allocate(), object);
    cache.free(object);
    EXPECT_TRUE(g_reports.empty());
}

TEST_F(SlabCacheCorruption, WriteAfterFreeIsDetectedOnNextAllocation) {
    FakeSlabSource source;
    SlabCache cache("uaf-cache", 128, 16, source, true);
    auto* object = static_cast<unsigned char*>(cache.allocate());
    cache.free(object);
    object[100] = 0;  // write after free
    EXPECT_TRUE(g_reports.empty());
    void* again = cache.allocate();
    ASSERT_EQ(again, object);
    ASSERT_EQ(g_reports.size(), 1u);
    EXPECT_EQ(g_reports[0].cache, "uaf-cache");
    EXPECT_TRUE(reported("write after free", object));
    // Repaired: freeing and reallocating reports nothing more.
    cache.free(again);
    EXPECT_EQ(cache.allocate(), object);
    EXPECT_EQ(g_reports.size(), 1u);
    cache.free(object);
}

TEST_F(SlabCacheCorruption, OverflowIntoRedZoneIsDetectedOnFree) {
    FakeSlabSource source;
    SlabCache cache("overflow", 32, 8, source, true);
    auto* first = static_cast<unsigned char*>(cache.allocate());
    auto* last_byte = static_cast<unsigned char*>(cache.allocate());
    first[32] = 'x';  // one byte past the end
    last_byte[32 + SlabCache::kRedZoneBytes - 1] = 'x';  // the last byte of the 16-byte red zone
    cache.free(first);
    EXPECT_TRUE(reported("red zone", first));
    cache.free(last_byte);
    EXPECT_TRUE(reported("red zone", last_byte));
    EXPECT_EQ(g_reports.size(), 2u);
    EXPECT_EQ(cache.objects_in_use(), 0u);
    // The red zones were restored.
    g_reports.clear();
    cache.free(cache.allocate());
    EXPECT_TRUE(g_reports.empty());
}

TEST_F(SlabCacheCorruption, DoubleFreeIsDetectedAndIgnored) {
    FakeSlabSource source;
    SlabCache cache("twice", 64, 8, source, true);
    void* a = cache.allocate();
    void* b = cache.allocate();
    cache.free(a);
    cache.free(a);
    EXPECT_TRUE(reported("double free", a));
    EXPECT_EQ(cache.objects_in_use(), 1u);
    // The free list is intact: a and then fresh objects, never a twice.
    void* c = cache.allocate();
    void* d = cache.allocate();
    EXPECT_EQ(c, a);
    EXPECT_NE(d, a);
    EXPECT_NE(d, b);
    cache.free(b);
    cache.free(c);
    cache.free(d);
    EXPECT_EQ(g_reports.size(), 1u);
}

TEST_F(SlabCacheCorruption, OverwrittenFreeListLinkIsNotFollowed) {
    FakeSlabSource source;
    {
        SlabCache cache("link", 64, 8, source, true);
        auto* object = static_cast<unsigned char*>(cache.allocate());
        void* neighbour = cache.allocate();
        cache.free(object);
        // Scribble over everything after the freed object in its slot: red
        // zone and the free-list link.
        std::memset(object + 64, 0x41, cache.slot_size() - 64);
        EXPECT_EQ(cache.allocate(), object);
        EXPECT_TRUE(reported("red zone", object));
        EXPECT_TRUE(reported("free list pointer", object));
        // The slab's remaining free slots are given up; new objects come
        // from a new slab and never from the scribbled address.
        void* next = cache.allocate();
        ASSERT_NE(next, nullptr);
        EXPECT_NE(cache.slab_count(), 1u);
        cache.free(next);
        cache.free(neighbour);
        cache.free(object);
        EXPECT_EQ(cache.objects_in_use(), 0u);
    }
    EXPECT_EQ(source.outstanding(), 0u);
}

TEST_F(SlabCacheCorruption, WithoutDebugChecksNothingIsPoisonedOrReported) {
    FakeSlabSource source;
    SlabCache cache("fast", 64, 64, source, false);
    EXPECT_FALSE(cache.debug_checks());
    EXPECT_EQ(cache.slot_size(), 64u);
    auto* object = static_cast<unsigned char*>(cache.allocate());
    cache.free(object);
    object[40] = 0;
    EXPECT_EQ(cache.allocate(), object);
    cache.free(object);
    EXPECT_TRUE(g_reports.empty());
}

TEST(SlabCacheDeathTest, CorruptionWithTheDefaultHandlerDies) {
    FakeSlabSource source;
    SlabCache cache("default", 64, 8, source, true);
    void* a = cache.allocate();
    void* keep = cache.allocate();
    cache.free(a);
    EXPECT_DEATH(cache.free(a), "double free");
    static_cast<unsigned char*>(keep)[64] = 0;
    EXPECT_DEATH(cache.free(keep), "red zone");
    static_cast<unsigned char*>(keep)[64] = SlabCache::kRedZoneByte;
    cache.free(keep);
}

TEST(SlabCacheDeathTest, FreeingAnObjectOfAnotherCacheDies) {
    FakeSlabSource source;
    SlabCache mine("mine", 64, 8, source, false);
    SlabCache theirs("theirs", 64, 8, source, false);
    void* object = theirs.allocate();
    EXPECT_DEATH(mine.free(object), "does not belong");
    theirs.free(object);
}

TEST(SlabCacheDeathTest, FreeingAnInteriorPointerDies) {
    FakeSlabSource source;
    SlabCache cache("interior", 64, 8, source, false);
    auto* object = static_cast<unsigned char*>(cache.allocate());
    EXPECT_DEATH(cache.free(object + 8), "not the start");
    cache.free(object);
}

TEST(SlabCacheDeathTest, DoubleFreeWithoutDebugChecksOfTheLastObjectDies) {
    FakeSlabSource source;
    SlabCache cache("nodebug", 64, 8, source, false);
    void* a = cache.allocate();
    cache.free(a);
    // The slab is empty (and cached): a second free finds in_use == 0.
    EXPECT_DEATH(cache.free(a), "in_use");
}

TEST(SlabCacheDeathTest, DestroyingACacheWithLiveObjectsDies) {
    FakeSlabSource source;
    EXPECT_DEATH(
        {
            SlabCache cache("live", 64, 8, source, false);
            (void)cache.allocate();
        },
        "still in use");
}

}  // namespace
