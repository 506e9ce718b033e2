// The kernel heap under real paging: every size class, large allocations,
// no overlap, nothing leaked, and (debug builds) corruption caught.
#include "config.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/physical_memory.h"
#include "kernel/mm/size_classes.h"
#include "kernel/mm/slab.h"
#include "kernel/test/ktest.h"
#include "libk/string.h"

namespace {

size_t objects_in_use() {
    size_t total = 0;
    for (size_t i = 0; i < mm::kKmallocClassCount; ++i) total += mm::kmalloc_class_stats(i).objects_in_use;
    return total;
}

}  // namespace

KTEST(heap, every_size_class) {
    const size_t in_use_before = objects_in_use();
    for (size_t size = 1; size <= 8192; size += size < 64 ? 1 : 61) {
        auto p = static_cast<uint8_t*>(mm::kmalloc(size));
        KASSERT(p != nullptr);
        KEXPECT_EQ(reinterpret_cast<uint64_t>(p) % 16, 0);
        memset(p, static_cast<int>(size & 0xff), size);
        KEXPECT_EQ(p[size - 1], size & 0xff);
        mm::kfree(p);
    }
    KEXPECT_EQ(objects_in_use(), in_use_before);
}

KTEST(heap, many_objects_do_not_overlap) {
    constexpr int kCount = 2000;
    static uint64_t* objects[kCount];
    for (int i = 0; i < kCount; ++i) {
        objects[i] = static_cast<uint64_t*>(mm::kmalloc(48));
        KASSERT(objects[i] != nullptr);
        for (int w = 0; w < 6; ++w) objects[i][w] = static_cast<uint64_t>(i) * 7 + w;
    }
    int corrupted = 0;
    for (int i = 0; i < kCount; ++i) {
        for (int w = 0; w < 6; ++w) corrupted += objects[i][w] != static_cast<uint64_t>(i) * 7 + w;
    }
    KEXPECT_EQ(corrupted, 0);
    for (int i = 0; i < kCount; ++i) mm::kfree(objects[i]);
}

KTEST(heap, large_allocations_come_from_the_buddy_and_return) {
    const uint64_t free_before = mm::memory_stats().free_frames;
    void* p = mm::kmalloc(1 << 20);
    KASSERT(p != nullptr);
    KEXPECT_EQ(reinterpret_cast<uint64_t>(p) % (1 << 20), 0);
    KEXPECT_EQ(mm::memory_stats().free_frames, free_before - 256);
    memset(p, 0xa5, 1 << 20);
    mm::kfree(p);
    KEXPECT_EQ(mm::memory_stats().free_frames, free_before);
    KEXPECT(mm::kmalloc(uint64_t{1} << 40) == nullptr);
}

KTEST(heap, kzalloc_zeroes) {
    auto p = static_cast<uint8_t*>(mm::kmalloc(200));
    KASSERT(p != nullptr);
    memset(p, 0xff, 200);
    mm::kfree(p);
    auto q = static_cast<uint8_t*>(mm::kzalloc(200));
    KASSERT(q != nullptr);
    int nonzero = 0;
    for (int i = 0; i < 200; ++i) nonzero += q[i] != 0;
    KEXPECT_EQ(nonzero, 0);
    mm::kfree(q);
}

namespace {
const char* last_corruption = nullptr;
void record_corruption(const char*, const char* what, const void*) { last_corruption = what; }
}  // namespace

KTEST(heap, debug_checks_catch_overflow_and_use_after_free) {
    if constexpr (!config::kDebug) KSKIP("release build: no red zones or poisoning");
    auto previous = mm::set_slab_corruption_handler(record_corruption);

    last_corruption = nullptr;
    auto p = static_cast<volatile uint8_t*>(mm::kmalloc(32));
    KASSERT(p != nullptr);
    p[32] = 0;  // one byte past the end: into the red zone
    mm::kfree(const_cast<uint8_t*>(p));
    KEXPECT(last_corruption != nullptr);

    last_corruption = nullptr;
    auto q = static_cast<volatile uint8_t*>(mm::kmalloc(512));
    KASSERT(q != nullptr);
    mm::kfree(const_cast<uint8_t*>(q));
    q[100] = 1;  // write after free
    void* again = mm::kmalloc(512);  // the allocator checks the poison here
    KEXPECT(last_corruption != nullptr);
    mm::kfree(again);

    mm::set_slab_corruption_handler(previous);
}
