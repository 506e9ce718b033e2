#pragma once
// The size classes of kmalloc: one slab cache per class, a request goes to
// the smallest class that holds it. Powers of two, plus 96 and 192, which
// are common object sizes that would otherwise waste a third of a 128- or
// 256-byte slot. Above 4096 bytes kmalloc takes whole pages from the buddy
// allocator instead.
#include <stddef.h>

namespace mm {

constexpr size_t kKmallocClasses[] = {16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096};
constexpr size_t kKmallocClassCount = sizeof(kKmallocClasses) / sizeof(kKmallocClasses[0]);
constexpr size_t kKmallocMaxClassSize = kKmallocClasses[kKmallocClassCount - 1];

// Names for the caches, in the same order (for statistics and corruption reports).
constexpr const char* kKmallocClassNames[kKmallocClassCount] = {
    "kmalloc-16",  "kmalloc-32",  "kmalloc-64",   "kmalloc-96",   "kmalloc-128", "kmalloc-192",
    "kmalloc-256", "kmalloc-512", "kmalloc-1024", "kmalloc-2048", "kmalloc-4096",
};

// Index into kKmallocClasses of the smallest class holding `bytes`, or -1
// when bytes > kKmallocMaxClassSize (the caller then uses the buddy
// allocator). 0 bytes maps to the smallest class; what kmalloc(0) returns
// is the caller's decision.
int kmalloc_class_for(size_t bytes);

}  // namespace mm
